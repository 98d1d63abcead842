//! The assessment in words, for a responder and for the report.

use std::fmt::Write as _;

use crate::assess::{human, Assessment, Verdict};

/// A readable summary: the verdict, the evidence per host, the gaps.
pub fn text(a: &Assessment) -> String {
    let mut out = String::new();
    let _ = writeln!(out, "Verdict: {}", a.verdict.as_str().to_uppercase());
    let _ = writeln!(out, "{}", a.summary);
    if let Some(w) = a.window {
        let _ = writeln!(
            out,
            "Window: {} to {} UTC ({})",
            w.start.format("%Y-%m-%d %H:%M"),
            w.end.format("%Y-%m-%d %H:%M"),
            a.window_basis
        );
    }
    if let Some(b) = a.baseline {
        let _ = writeln!(
            out,
            "Baseline: {} to {} UTC",
            b.start.format("%Y-%m-%d %H:%M"),
            b.end.format("%Y-%m-%d %H:%M")
        );
    }
    let _ = writeln!(
        out,
        "Read: {} flow record(s) ({} duplicate(s) merged), {} DNS queries, {} unreadable record(s)",
        a.flows, a.duplicate_flows, a.dns_queries, a.unreadable_records
    );
    if a.dns_queries > 0 {
        let _ = writeln!(
            out,
            "DNS tunnelling: {} registered domain(s) profiled, {} look like tunnels",
            a.dns_domains,
            a.dns_tunnels.len()
        );
    }
    for h in &a.hosts {
        let _ = writeln!(
            out,
            "\n{}{}{} — {}",
            h.host,
            h.role
                .as_ref()
                .map(|r| format!(" ({r})"))
                .unwrap_or_default(),
            if h.in_scope { ", in scope" } else { "" },
            h.verdict.as_str()
        );
        for r in &h.reasons {
            let _ = writeln!(out, "  - {r}");
        }
        for e in &h.egress {
            let _ = writeln!(
                out,
                "  egress: {} -> {}{} port(s) {:?}: {} in {} connection(s), {} to {} (estimate {}, bounds {}–{})",
                h.addresses.first().map(|a| a.to_string()).unwrap_or_default(),
                e.destination,
                e.names.first().map(|n| format!(" ({n})")).unwrap_or_default(),
                e.ports,
                human(e.bytes),
                e.flows,
                e.first.format("%Y-%m-%d %H:%M"),
                e.last.format("%H:%M"),
                human(e.volume.estimate),
                human(e.volume.lower),
                human(e.volume.upper)
            );
            for p in &e.processes {
                let _ = writeln!(
                    out,
                    "    by {}{} ({} connection(s) in the host's log)",
                    p.image,
                    p.user
                        .as_ref()
                        .map(|u| format!(" as {u}"))
                        .unwrap_or_default(),
                    p.connections
                );
            }
            for c in &e.content {
                let _ = writeln!(out, "    content seen: {c}");
            }
            if let Some(first) = e.evidence.first() {
                let _ = writeln!(out, "    first record: {first}");
            }
        }
        for s in &h.staging {
            let _ = writeln!(
                out,
                "  staging: {} {} {} ({})",
                s.time.format("%Y-%m-%d %H:%M:%S"),
                match s.kind {
                    crate::host::StagingKind::ArchiveTool => "archive tool",
                    crate::host::StagingKind::ArchiveWritten => "archive written",
                },
                s.detail,
                s.source
            );
        }
        if h.staging_more > 0 {
            let _ = writeln!(out, "  … and {} more staging event(s)", h.staging_more);
        }
        for b in &h.beacons {
            let _ = writeln!(
                out,
                "  beacon: {} port {:?}, {} connections every {:.0} s (jitter {:.2}, size variation {:.2})",
                b.destination, b.port, b.connections, b.period_seconds, b.jitter, b.size_variation
            );
        }
        for l in &h.long_connections {
            let _ = writeln!(
                out,
                "  long connection: {} port {:?} at {} for {:.0} s",
                l.destination,
                l.port,
                l.time.format("%Y-%m-%d %H:%M"),
                l.seconds
            );
        }
        if let Some(b) = &h.baseline {
            if h.verdict >= Verdict::Suspected {
                let _ = writeln!(
                    out,
                    "  baseline: {}; bar {}/day",
                    b.basis,
                    human(b.upper_daily)
                );
            }
        }
    }
    for t in &a.dns_tunnels {
        let _ = writeln!(
            out,
            "\nDNS tunnel suspected: {} — {}; e.g. {}",
            t.domain,
            t.reason,
            t.examples.first().map(String::as_str).unwrap_or("")
        );
    }
    if !a.rare_destinations.is_empty() {
        let _ = writeln!(
            out,
            "\nFirst-seen destinations (for the estate) in the window:"
        );
        for r in a.rare_destinations.iter().take(10) {
            let _ = writeln!(
                out,
                "  {} -> {}{}: {} from {}",
                r.host,
                r.destination,
                r.names
                    .first()
                    .map(|n| format!(" ({n})"))
                    .unwrap_or_default(),
                human(r.bytes),
                r.first.format("%Y-%m-%d %H:%M")
            );
        }
    }
    if !a.gaps.is_empty() {
        let _ = writeln!(out, "\nWhat this cannot see:");
        for g in &a.gaps {
            let _ = writeln!(out, "  - {g}");
        }
    }
    for n in &a.notes {
        let _ = writeln!(out, "Note: {n}");
    }
    out
}
