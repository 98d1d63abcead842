//! The hosts over time: a row per host, its evidence as a bar and dots,
//! the attacker's moves as arrows between rows; long quiet gaps cut out,
//! and the busiest hour drawn again, enlarged, when the whole is too long
//! to see it.

use std::collections::BTreeMap;
use std::fmt::Write as _;

use chrono::{DateTime, Utc};
use vigil_incident::Incident;

use super::{empty, escape, WIDTH};
use crate::lang::Words;

const LABEL: f64 = 190.0;
const ROW: f64 = 30.0;
const TOP: f64 = 34.0;

/// One row of the timeline: a host and its evidence span.
struct Lane {
    host: String,
    first: DateTime<Utc>,
    last: DateTime<Utc>,
    detections: Vec<DateTime<Utc>>,
}

/// A move between rows.
struct Hop<'a> {
    from: &'a str,
    to: &'a str,
    method: &'a str,
    time: DateTime<Utc>,
}

/// The hosts of all incidents, ordered by first evidence, including the
/// far ends of hops that are not in scope themselves.
fn lanes(incidents: &[Incident]) -> Vec<Lane> {
    fn widen<'a>(
        by_host: &mut BTreeMap<&'a str, Lane>,
        host: &'a str,
        first: DateTime<Utc>,
        last: DateTime<Utc>,
    ) {
        let lane = by_host.entry(host).or_insert_with(|| Lane {
            host: host.to_string(),
            first,
            last,
            detections: Vec::new(),
        });
        lane.first = lane.first.min(first);
        lane.last = lane.last.max(last);
    }
    let mut by_host: BTreeMap<&str, Lane> = BTreeMap::new();
    for i in incidents {
        for h in &i.hosts {
            widen(&mut by_host, &h.host, h.first_evidence, h.last_evidence);
        }
        for e in &i.lateral_movement {
            widen(&mut by_host, &e.from, e.time, e.time);
            widen(&mut by_host, &e.to, e.time, e.time);
        }
    }
    for i in incidents {
        for d in &i.detections {
            if let Some(lane) = by_host.get_mut(d.host.as_str()) {
                lane.detections.push(d.time);
            }
        }
    }
    let mut lanes: Vec<Lane> = by_host.into_values().collect();
    lanes.sort_by(|a, b| a.first.cmp(&b.first).then(a.host.cmp(&b.host)));
    lanes
}

/// Hosts over time: a row per host, a bar from first to last evidence, a
/// dot per detection and an arrow per hop between the rows.
pub fn timeline(incidents: &[Incident], w: &Words) -> String {
    let lanes = lanes(incidents);
    if lanes.is_empty() {
        return empty(w.no_host_in_scope);
    }
    draw(&lanes, &hops(incidents), w, "Hosts over time", "hop-head")
}

fn hops(incidents: &[Incident]) -> Vec<Hop<'_>> {
    incidents
        .iter()
        .flat_map(|i| &i.lateral_movement)
        .map(|e| Hop {
            from: &e.from,
            to: &e.to,
            method: e.method.as_str(),
            time: e.time,
        })
        .collect()
}

/// The busiest hour drawn again, enlarged, when the whole timeline spans
/// more than [`ZOOM_WHEN`]: the hour with the most moves (or, without
/// moves, the most detections), a few minutes either side. Returns the
/// figure and the window it shows.
pub fn busiest_hour(
    incidents: &[Incident],
    w: &Words,
) -> Option<(String, DateTime<Utc>, DateTime<Utc>)> {
    let all = lanes(incidents);
    let start = all.iter().map(|l| l.first).min()?;
    let end = all.iter().map(|l| l.last).max()?;
    if end - start <= ZOOM_WHEN {
        return None;
    }
    let hops = hops(incidents);
    let mut marks: Vec<DateTime<Utc>> = hops.iter().map(|h| h.time).collect();
    if marks.is_empty() {
        marks = all
            .iter()
            .flat_map(|l| l.detections.iter().copied())
            .collect();
    }
    marks.sort();
    let (first, last) = densest(&marks, chrono::Duration::hours(1))?;
    let margin = chrono::Duration::minutes(5);
    let (from, to) = (first - margin, last + margin);
    let within = |t: &DateTime<Utc>| (from..=to).contains(t);
    let lanes: Vec<Lane> = all
        .into_iter()
        .filter(|l| l.first <= to && l.last >= from)
        .map(|l| Lane {
            first: l.first.max(from),
            last: l.last.min(to),
            detections: l.detections.iter().copied().filter(within).collect(),
            host: l.host,
        })
        .collect();
    let hops: Vec<Hop> = hops.into_iter().filter(|h| within(&h.time)).collect();
    Some((
        draw(&lanes, &hops, w, "The busiest hour", "zoom-head"),
        from,
        to,
    ))
}

/// A timeline longer than this gets its busiest hour drawn again.
const ZOOM_WHEN: chrono::Duration = chrono::Duration::hours(6);

/// The first and last of the most `times` (sorted) that fit in `width`.
fn densest(
    times: &[DateTime<Utc>],
    width: chrono::Duration,
) -> Option<(DateTime<Utc>, DateTime<Utc>)> {
    let mut best: Option<(usize, usize)> = None;
    let mut left = 0;
    for right in 0..times.len() {
        while times[right] - times[left] > width {
            left += 1;
        }
        if best.is_none_or(|(l, r)| right - left > r - l) {
            best = Some((left, right));
        }
    }
    best.map(|(l, r)| (times[l], times[r]))
}

/// The figure of `lanes` and `hops`; `marker` names its arrowhead, unique
/// within the page.
fn draw(lanes: &[Lane], hops: &[Hop], w: &Words, label: &str, marker: &str) -> String {
    let (Some(start), Some(end)) = (
        lanes.iter().map(|l| l.first).min(),
        lanes.iter().map(|l| l.last).max(),
    ) else {
        return empty(w.no_host_in_scope);
    };
    let mut times: Vec<DateTime<Utc>> = lanes
        .iter()
        .flat_map(|l| {
            [l.first, l.last]
                .into_iter()
                .chain(l.detections.iter().copied())
        })
        .chain(hops.iter().map(|h| h.time))
        .collect();
    times.sort();
    times.dedup();
    let axis = Axis::new(&times, LABEL + 10.0, WIDTH - 20.0);
    let x = |t: DateTime<Utc>| axis.x(t);
    let row: BTreeMap<&str, f64> = lanes
        .iter()
        .enumerate()
        .map(|(n, l)| (l.host.as_str(), TOP + ROW * n as f64 + ROW / 2.0))
        .collect();
    let height = TOP + ROW * lanes.len() as f64 + 40.0;
    let mut svg = String::new();
    let _ = writeln!(
        svg,
        "<svg xmlns=\"http://www.w3.org/2000/svg\" viewBox=\"0 0 {WIDTH} {height}\" width=\"{WIDTH}\" height=\"{height}\" role=\"img\" aria-label=\"{label}\">"
    );
    let _ = writeln!(
        svg,
        "<defs><marker id=\"{marker}\" viewBox=\"0 0 10 10\" refX=\"9\" refY=\"5\" markerWidth=\"7\" markerHeight=\"7\" orient=\"auto-start-reverse\"><path d=\"M0,0L10,5L0,10z\" fill=\"#c0392b\"/></marker></defs>"
    );
    // Time grid: a tick at the start and end of each stretch of activity,
    // and the quiet gaps between them drawn as breaks with their length.
    let bottom = height - 30.0;
    for piece in &axis.pieces {
        let wide = piece.x1 - piece.x0 > 110.0;
        let ends: &[(DateTime<Utc>, f64, &str)] = &[
            (piece.t0, piece.x0, if wide { "start" } else { "middle" }),
            (piece.t1, piece.x1, "end"),
        ];
        for &(t, tx, anchor) in if wide { ends } else { &ends[..1] } {
            let _ = writeln!(
                svg,
                "<line x1=\"{tx:.1}\" y1=\"{TOP}\" x2=\"{tx:.1}\" y2=\"{bottom:.1}\" stroke=\"#e1e6eb\"/><text x=\"{tx:.1}\" y=\"{:.1}\" font-size=\"12\" text-anchor=\"{anchor}\" fill=\"#5b6670\">{}</text>",
                height - 12.0,
                t.format("%m-%d %H:%M")
            );
        }
    }
    let mut breaks = String::new();
    for gap in axis.pieces.windows(2) {
        let (g0, g1) = (gap[0].x1 + 4.0, gap[1].x0 - 4.0);
        let quiet = gap[1].t0 - gap[0].t1;
        let _ = writeln!(
            breaks,
            "<rect x=\"{g0:.1}\" y=\"{TOP}\" width=\"{:.1}\" height=\"{:.1}\" fill=\"#ffffff\" opacity=\"0.85\"/><line x1=\"{g0:.1}\" y1=\"{TOP}\" x2=\"{g0:.1}\" y2=\"{bottom:.1}\" stroke=\"#9aa5b1\" stroke-dasharray=\"3 3\"/><line x1=\"{g1:.1}\" y1=\"{TOP}\" x2=\"{g1:.1}\" y2=\"{bottom:.1}\" stroke=\"#9aa5b1\" stroke-dasharray=\"3 3\"/><text x=\"{:.1}\" y=\"{:.1}\" font-size=\"11\" text-anchor=\"middle\" fill=\"#5b6670\">{}</text>",
            g1 - g0,
            bottom - TOP,
            (g0 + g1) / 2.0,
            TOP - 4.0,
            quiet_length(quiet, w)
        );
    }
    let _ = writeln!(
        svg,
        "<text x=\"{LABEL}\" y=\"20\" font-size=\"12\" fill=\"#5b6670\">UTC, {} {} {}</text>",
        start.format("%Y-%m-%d %H:%M"),
        w.to,
        end.format("%Y-%m-%d %H:%M")
    );
    for (n, lane) in lanes.iter().enumerate() {
        let y = row[lane.host.as_str()];
        if n % 2 == 0 {
            let _ = writeln!(
                svg,
                "<rect x=\"0\" y=\"{:.1}\" width=\"{WIDTH}\" height=\"{ROW}\" fill=\"#f5f7f9\"/>",
                y - ROW / 2.0
            );
        }
        let _ = writeln!(
            svg,
            "<text class=\"host\" x=\"{:.1}\" y=\"{:.1}\" font-size=\"13\" text-anchor=\"end\" fill=\"#1d2329\">{}</text>",
            LABEL,
            y + 4.5,
            escape(&lane.host)
        );
        let (x1, x2) = (x(lane.first), x(lane.last));
        let _ = writeln!(
            svg,
            "<rect x=\"{:.1}\" y=\"{:.1}\" width=\"{:.1}\" height=\"8\" rx=\"4\" fill=\"#9fb8d0\"/>",
            x1 - 2.0,
            y - 4.0,
            (x2 - x1) + 4.0
        );
        for d in &lane.detections {
            let _ = writeln!(
                svg,
                "<circle cx=\"{:.1}\" cy=\"{y:.1}\" r=\"4.5\" fill=\"#2a5d8f\" stroke=\"#fff\"/>",
                x(*d)
            );
        }
    }
    // Breaks over the bars, under the hops.
    svg.push_str(&breaks);
    for e in hops {
        let (Some(&y1), Some(&y2)) = (row.get(e.from), row.get(e.to)) else {
            continue;
        };
        let hx = x(e.time);
        let dy = if y2 > y1 { -6.0 } else { 6.0 };
        let _ = writeln!(
            svg,
            "<line x1=\"{hx:.1}\" y1=\"{y1:.1}\" x2=\"{hx:.1}\" y2=\"{:.1}\" stroke=\"#c0392b\" stroke-width=\"1.6\" marker-end=\"url(#{marker})\"><title>{} → {} ({})</title></line>",
            y2 + dy,
            escape(e.from),
            escape(e.to),
            escape(e.method)
        );
    }
    svg.push_str("</svg>\n");
    svg
}

/// A stretch of activity on the time axis and where it is drawn.
struct Piece {
    t0: DateTime<Utc>,
    t1: DateTime<Utc>,
    x0: f64,
    x1: f64,
}

/// A time axis that leaves out long quiet gaps: an intrusion is bursts of
/// minutes days apart, and a linear axis would crush each burst to a line.
struct Axis {
    pieces: Vec<Piece>,
}

/// Room a left-out gap takes on the axis.
const GAP: f64 = 70.0;

impl Axis {
    /// `times` sorted; the axis runs from `left` to `right`.
    fn new(times: &[DateTime<Utc>], left: f64, right: f64) -> Axis {
        let (Some(&first), Some(&last)) = (times.first(), times.last()) else {
            return Axis { pieces: Vec::new() };
        };
        let span = (last - first).num_seconds().max(1) as f64;
        // A gap longer than a tenth of the whole and than two hours is left out.
        let mut runs: Vec<(DateTime<Utc>, DateTime<Utc>)> = vec![(first, first)];
        for &t in &times[1..] {
            let run = runs.last_mut().expect("one run at least");
            let gap = (t - run.1).num_seconds() as f64;
            if gap > span / 10.0 && gap > 7200.0 {
                runs.push((t, t));
            } else {
                run.1 = t;
            }
        }
        let floor = (span / 50.0).max(60.0);
        let lengths: Vec<f64> = runs
            .iter()
            .map(|(a, b)| ((*b - *a).num_seconds() as f64).max(floor))
            .collect();
        let total: f64 = lengths.iter().sum();
        let room = (right - left) - GAP * (runs.len() - 1) as f64;
        let mut at = left;
        let pieces = runs
            .iter()
            .zip(&lengths)
            .map(|(&(t0, t1), length)| {
                let width = room * length / total;
                let piece = Piece {
                    t0,
                    t1,
                    x0: at,
                    x1: at + width,
                };
                at += width + GAP;
                piece
            })
            .collect();
        Axis { pieces }
    }

    fn x(&self, t: DateTime<Utc>) -> f64 {
        for (n, p) in self.pieces.iter().enumerate() {
            if t <= p.t1 || n + 1 == self.pieces.len() {
                let length = (p.t1 - p.t0).num_seconds().max(0) as f64;
                let into = (t - p.t0).num_seconds().max(0) as f64;
                return if length == 0.0 {
                    p.x0 + (p.x1 - p.x0) / 2.0
                } else {
                    p.x0 + (p.x1 - p.x0) * (into / length).min(1.0)
                };
            }
            if t < self.pieces[n + 1].t0 {
                // In a left-out gap (no plotted time falls here).
                return p.x1 + GAP / 2.0;
            }
        }
        0.0
    }
}

/// The length of a quiet gap in words: "2 d 22 h", "5 h".
fn quiet_length(gap: chrono::Duration, w: &Words) -> String {
    let hours = gap.num_hours();
    let quiet = w.quiet;
    match (hours / 24, hours % 24) {
        (0, h) => format!("{h} h {quiet}"),
        (d, 0) => format!("{d} d {quiet}"),
        (d, h) => format!("{d} d {h} h {quiet}"),
    }
}
