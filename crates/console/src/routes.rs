//! What each request gets: the pages, the JSON the script reads, the live
//! stream and the triage actions, each behind the access checks.

use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::{Arc, Mutex};

use rusqlite::Connection;

use crate::access::{csrf_ok, same_origin, Access, Session, COOKIE};
use crate::incidents::Built;
use crate::{alerts, cases, evidence, filters, ledger, pages, timeline};
use vigil_net::http::{Body, Request, Response};

/// The Content-Security-Policy of every response but a case's report.
pub const POLICY: &str = "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; \
     connect-src 'self'; frame-ancestors 'none'; base-uri 'none'; form-action 'self'; frame-src 'self'";

/// Headers on every response unless it sets its own.
pub fn security_headers() -> [(&'static str, &'static str); 5] {
    [
        ("Content-Security-Policy", POLICY),
        ("X-Content-Type-Options", "nosniff"),
        ("X-Frame-Options", "DENY"),
        // `no-referrer` would make browsers send `Origin: null` on POSTs,
        // which the same-origin check must refuse.
        ("Referrer-Policy", "same-origin"),
        ("Cache-Control", "no-store"),
    ]
}

const SCRIPT: &str = include_str!("assets/console.js");
const STYLE: &str = include_str!("assets/console.css");

pub struct Console {
    pub store: PathBuf,
    pub cases: Vec<PathBuf>,
    pub access: Access,
    /// The address served; with loopback only, the `Host` a request names
    /// must be this port on a loopback name (no DNS rebinding).
    pub bound: SocketAddr,
    pub allow_remote: bool,
    /// Served over TLS: cookies are `Secure`, origins `https`.
    pub tls: bool,
    pool: Mutex<Vec<Connection>>,
    incidents: Mutex<Option<Arc<Built>>>,
}

impl Console {
    pub fn new(
        store: PathBuf,
        cases: Vec<PathBuf>,
        access: Access,
        bound: SocketAddr,
        allow_remote: bool,
        tls: bool,
    ) -> Console {
        Console {
            store,
            cases,
            access,
            bound,
            allow_remote,
            tls,
            pool: Mutex::new(Vec::new()),
            incidents: Mutex::new(None),
        }
    }

    /// A connection to the store from the pool (or a new one), handed back
    /// when done.
    fn with_db<T>(
        &self,
        work: impl FnOnce(&mut Connection) -> anyhow::Result<T>,
    ) -> anyhow::Result<T> {
        let taken = self.pool.lock().ok().and_then(|mut p| p.pop());
        let mut db = match taken {
            Some(db) => db,
            None => ledger::open(&self.store)?,
        };
        let result = work(&mut db);
        if let Ok(mut pool) = self.pool.lock() {
            pool.push(db);
        }
        result
    }

    /// The incidents, built again when watch stored more since.
    fn incidents(&self) -> anyhow::Result<Arc<Built>> {
        let mut cached = self
            .incidents
            .lock()
            .map_err(|_| anyhow::anyhow!("the incidents cache is poisoned"))?;
        let last = self.with_db(|db| Ok(alerts::last_seq(db)?))?;
        if let Some(built) = cached.as_ref().filter(|b| b.last_seq == last) {
            return Ok(built.clone());
        }
        let built = Arc::new(self.with_db(|db| crate::incidents::build(db))?);
        *cached = Some(built.clone());
        Ok(built)
    }

    fn host_allowed(&self, request: &Request) -> bool {
        if self.allow_remote {
            return true;
        }
        let port = self.bound.port();
        request.header("host").is_some_and(|host| {
            [
                format!("127.0.0.1:{port}"),
                format!("localhost:{port}"),
                format!("[::1]:{port}"),
            ]
            .iter()
            .any(|h| h.eq_ignore_ascii_case(host))
        })
    }

    fn scheme(&self) -> &'static str {
        if self.tls {
            "https"
        } else {
            "http"
        }
    }

    pub fn handle(&self, request: Request) -> Response {
        if !self.host_allowed(&request) {
            return Response::text(
                403,
                "refused: this console answers only to its loopback address",
            );
        }
        match self.route(&request) {
            Ok(response) => response,
            Err(error) => Response::text(400, &format!("{error:#}")),
        }
    }

    fn route(&self, request: &Request) -> anyhow::Result<Response> {
        let method = request.method.as_str();
        let parts: Vec<&str> = request.path.trim_matches('/').split('/').collect();
        // What needs no session.
        match (method, parts.as_slice()) {
            ("GET", ["assets", "console.js"]) => {
                return Ok(Response::new(200, "text/javascript; charset=utf-8", SCRIPT))
            }
            ("GET", ["assets", "console.css"]) => {
                return Ok(Response::new(200, "text/css; charset=utf-8", STYLE))
            }
            ("GET", ["login"]) => return Ok(html(200, pages::login(None))),
            ("POST", ["login"]) => return Ok(self.login(request)),
            _ => {}
        }
        let Some(session) = self.access.session(request) else {
            let wants_html = request
                .header("accept")
                .is_some_and(|a| a.contains("text/html"));
            return Ok(if wants_html {
                html(
                    401,
                    pages::login(Some("Log in with the console's access token.")),
                )
            } else {
                Response::text(401, "authentication required: log in with the access token")
            });
        };
        if method == "POST" {
            if !same_origin(request, self.scheme()) {
                return Ok(Response::text(
                    403,
                    "refused: not from the console's own pages",
                ));
            }
            if !csrf_ok(request, &session) {
                return Ok(Response::text(403, "refused: missing or wrong CSRF token"));
            }
            return self.change(request, &parts, &session);
        }
        if method != "GET" {
            return Ok(Response::text(405, "method not allowed"));
        }
        self.read(request, &parts, &session)
    }

    fn login(&self, request: &Request) -> Response {
        if !same_origin(request, self.scheme()) {
            return Response::text(403, "refused: not from the console's own login page");
        }
        let form = request.form();
        let field = |name: &str| {
            form.iter()
                .find(|(n, _)| n == name)
                .map(|(_, v)| v.as_str())
                .unwrap_or_default()
        };
        if !self.access.token_matches(field("token")) {
            return html(401, pages::login(Some("That is not the access token.")));
        }
        let who: String = field("who").trim().chars().take(80).collect();
        let who = if who.is_empty() {
            "unnamed".into()
        } else {
            who
        };
        let id = self.access.open_session(&who);
        let _ = self.with_db(|db| Ok(ledger::audit(db, &who, "login", None, "")?));
        Response::text(303, "logged in")
            .with("Location", "/now")
            .with(
                "Set-Cookie",
                &format!(
                    "{COOKIE}={id}; HttpOnly; SameSite=Strict; Path=/{}",
                    if self.tls { "; Secure" } else { "" }
                ),
            )
    }

    fn read(
        &self,
        request: &Request,
        parts: &[&str],
        session: &Session,
    ) -> anyhow::Result<Response> {
        Ok(match parts {
            [""] => Response::text(303, "").with("Location", "/now"),
            ["now"] => html(200, pages::shell("now", "", "Now")),
            ["timeline"] => html(200, pages::shell("timeline", "", "Timeline")),
            ["event", seq] => html(
                200,
                pages::shell("event", seq, &format!("Event behind detection {seq}")),
            ),
            ["incidents"] => {
                let built = self.incidents()?;
                let states: Vec<ledger::Triage> = self.with_db(|db| {
                    built
                        .report
                        .incidents
                        .iter()
                        .map(|i| {
                            let key = crate::incidents::triage_key(i);
                            Ok(ledger::triage_of(db, "incident", &key)?)
                        })
                        .collect()
                })?;
                html(200, pages::incident_list(&built, &states))
            }
            ["incidents", id] => {
                let id: usize = id.parse()?;
                let built = self.incidents()?;
                let key = built
                    .report
                    .incidents
                    .iter()
                    .find(|i| i.id == id)
                    .map(crate::incidents::triage_key)
                    .unwrap_or_default();
                let triage = self.with_db(|db| Ok(ledger::triage_of(db, "incident", &key)?))?;
                match pages::incident(&built, id, &triage) {
                    Some(page) => html(200, page),
                    None => Response::text(404, "no such incident"),
                }
            }
            ["cases"] => html(200, cases::page(&self.cases)),
            ["cases", n, "report.html"] => match cases::report(&self.cases, n.parse()?) {
                Some(bytes) => Response::new(200, "text/html; charset=utf-8", bytes)
                    .with("Content-Security-Policy", cases::REPORT_POLICY)
                    .with("X-Frame-Options", "SAMEORIGIN"),
                None => Response::text(404, "no such case report"),
            },
            ["api", "session"] => Response::json(&serde_json::json!({
                "who": session.who, "csrf": session.csrf,
            })),
            ["api", "now"] => Response::json(&self.with_db(|db| Ok(alerts::now(db, 200)?))?),
            ["api", "stream"] => {
                let store = self.store.clone();
                Response {
                    status: 200,
                    headers: vec![("Content-Type".into(), "text/event-stream".into())],
                    body: Body::Stream(Box::new(move |out| alerts::stream(store, out))),
                }
            }
            ["api", "timeline"] => {
                let q = timeline_query(request)?;
                Response::json(&self.with_db(|db| Ok(timeline::page(db, &q)?))?)
            }
            ["api", "event", seq] => {
                let seq: i64 = seq.parse()?;
                let value = self.with_db(|db| event_json(db, seq))?;
                match value {
                    Some(v) => Response::json(&v),
                    None => Response::text(404, "no such detection"),
                }
            }
            ["api", "filters"] => Response::json(&self.with_db(|db| Ok(filters::list(db)?))?),
            ["api", "audit"] => {
                Response::json(&self.with_db(|db| Ok(ledger::audit_log(db, 200)?))?)
            }
            _ => Response::text(404, "not found"),
        })
    }

    fn change(
        &self,
        request: &Request,
        parts: &[&str],
        session: &Session,
    ) -> anyhow::Result<Response> {
        let form = request.form();
        let field = |name: &str| {
            form.iter()
                .find(|(n, _)| n == name)
                .map(|(_, v)| v.clone())
                .unwrap_or_default()
        };
        let who = session.who.as_str();
        Ok(match parts {
            ["logout"] => {
                self.access.close_session(request);
                Response::text(200, "logged out").with(
                    "Set-Cookie",
                    &format!("{COOKIE}=; HttpOnly; SameSite=Strict; Path=/; Max-Age=0"),
                )
            }
            ["api", "triage", kind, subject] => {
                let (action, value) = (field("action"), field("value"));
                self.with_db(|db| ledger::triage(db, who, kind, subject, &action, &value))?;
                let triage = self.with_db(|db| Ok(ledger::triage_of(db, kind, subject)?))?;
                Response::json(&triage)
            }
            ["api", "alerts", seq, "false-positive"] => {
                let seq: i64 = seq.parse()?;
                let filter = self.with_db(|db| filters::propose(db, seq, &field("field"), who))?;
                Response::json(&filter)
            }
            ["api", "filters", id, "accept"] => {
                let id: i64 = id.parse()?;
                self.with_db(|db| filters::accept(db, id, who))?;
                Response::json(&self.with_db(|db| Ok(filters::get(db, id)?))?)
            }
            _ => Response::text(404, "not found"),
        })
    }
}

fn html(status: u16, page: String) -> Response {
    Response::new(status, "text/html; charset=utf-8", page)
}

fn timeline_query(request: &Request) -> anyhow::Result<timeline::Query> {
    let time = |name: &str| -> anyhow::Result<Option<i64>> {
        request
            .param(name)
            .map(|t| {
                chrono::DateTime::parse_from_rfc3339(t)
                    .map(|t| t.timestamp_millis())
                    .or_else(|_| {
                        chrono::NaiveDateTime::parse_from_str(t, "%Y-%m-%dT%H:%M")
                            .map(|t| t.and_utc().timestamp_millis())
                    })
                    .map_err(|_| anyhow::anyhow!("{name}: {t:?} is not a time (RFC 3339)"))
            })
            .transpose()
    };
    let text = |name: &str| request.param(name).map(str::to_string);
    Ok(timeline::Query {
        from_ms: time("from")?,
        to_ms: time("to")?,
        host: text("host"),
        rule: text("rule"),
        level: text("level"),
        tactic: text("tactic"),
        text: text("text"),
        after: request.param("after").and_then(timeline::parse_key),
        limit: request
            .param("limit")
            .and_then(|l| l.parse().ok())
            .unwrap_or(100),
    })
}

/// An alert's detection, its triage, the raw record behind it and the
/// values a false-positive filter could be on.
fn event_json(db: &mut Connection, seq: i64) -> anyhow::Result<Option<serde_json::Value>> {
    let Some((key, json)) = evidence::stored(db, seq)? else {
        return Ok(None);
    };
    let record = evidence::detection(&json)
        .and_then(|d| evidence::raw_record(&evidence::followed_files(db).ok()?, &d));
    let triage = ledger::triage_of(db, "alert", &seq.to_string())?;
    let mut candidates = Vec::new();
    if let Some(host) = json.get("computer").and_then(|c| c.as_str()) {
        candidates.push(serde_json::json!({"field": "Computer", "value": host}));
    }
    if let Some(details) = json.get("details").and_then(|d| d.as_object()) {
        for (field, value) in details {
            candidates.push(serde_json::json!({"field": field, "value": value}));
        }
    }
    Ok(Some(serde_json::json!({
        "seq": seq,
        "key": key,
        "detection": json,
        "triage": triage,
        "record": record,
        "filter_fields": candidates,
    })))
}
