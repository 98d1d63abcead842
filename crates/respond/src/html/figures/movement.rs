//! The attacker's moves as a graph: hosts on a circle, clockwise in the
//! order the attacker reached them, an arrow per (from, to, method). The
//! circle grows with the hosts, host names stand outside it, and the
//! arrows' labels are moved along their arrows until they overlap neither
//! each other nor a host.

use std::collections::BTreeMap;
use std::fmt::Write as _;

use chrono::{DateTime, Utc};
use vigil_incident::Incident;

use super::{empty, escape, WIDTH};
use crate::lang::Words;

/// A host's circle.
const NODE: f64 = 26.0;
/// Room along the circle each host needs, name included.
const PER_HOST: f64 = 100.0;
/// Room above and below the circle for the names and times.
const MARGIN: f64 = 90.0;
const LABEL_HEIGHT: f64 = 15.0;
/// Width of a label's character at 12 px, generously.
const CHAR_WIDTH: f64 = 7.0;

/// A box on the figure, to keep labels apart.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) struct Extent {
    pub x0: f64,
    pub y0: f64,
    pub x1: f64,
    pub y1: f64,
}

impl Extent {
    /// A label of `text` centred at (`x`, `y`).
    fn label(x: f64, y: f64, text: &str) -> Extent {
        let half = CHAR_WIDTH * text.chars().count() as f64 / 2.0;
        Extent {
            x0: x - half,
            y0: y - LABEL_HEIGHT / 2.0,
            x1: x + half,
            y1: y + LABEL_HEIGHT / 2.0,
        }
    }

    fn around(x: f64, y: f64, r: f64) -> Extent {
        Extent {
            x0: x - r,
            y0: y - r,
            x1: x + r,
            y1: y + r,
        }
    }

    pub fn overlaps(&self, other: &Extent) -> bool {
        self.x0 < other.x1 && other.x0 < self.x1 && self.y0 < other.y1 && other.y0 < self.y1
    }
}

/// One arrow: where it starts, bends and ends, and its label.
struct Arrow {
    start: (f64, f64),
    control: (f64, f64),
    end: (f64, f64),
    text: String,
}

impl Arrow {
    /// The point a fraction `t` along the curve.
    fn at(&self, t: f64) -> (f64, f64) {
        let u = 1.0 - t;
        let (p0, p1, p2) = (self.start, self.control, self.end);
        (
            u * u * p0.0 + 2.0 * u * t * p1.0 + t * t * p2.0,
            u * u * p0.1 + 2.0 * u * t * p1.1 + t * t * p2.1,
        )
    }
}

/// The attacker's moves as a graph: hosts on a circle, clockwise in the
/// order of their first evidence; an arrow per (from, to, method), labelled
/// with the method and how many times it was seen.
pub fn movement(incidents: &[Incident], w: &Words) -> String {
    let mut order: Vec<(DateTime<Utc>, String)> = Vec::new();
    let mut hops: BTreeMap<(String, String, &str), usize> = BTreeMap::new();
    for i in incidents {
        for e in &i.lateral_movement {
            *hops
                .entry((e.from.clone(), e.to.clone(), e.method.as_str()))
                .or_default() += 1;
            for host in [&e.from, &e.to] {
                let first = i
                    .hosts
                    .iter()
                    .find(|h| &h.host == host)
                    .map_or(e.time, |h| h.first_evidence.min(e.time));
                match order.iter_mut().find(|entry| &entry.1 == host) {
                    Some(entry) => entry.0 = entry.0.min(first),
                    None => order.push((first, host.clone())),
                }
            }
        }
    }
    if order.is_empty() {
        return empty(w.no_movement);
    }
    order.sort();
    // Wide enough that neighbours on the circle leave room for their names.
    let radius = match order.len() {
        1 => 0.0,
        n => (PER_HOST * n as f64 / std::f64::consts::TAU).max(230.0),
    };
    let height = 2.0 * (radius + MARGIN);
    let width = WIDTH.max(2.0 * (radius + 2.0 * MARGIN));
    let (cx, cy) = (width / 2.0, height / 2.0);
    let node: BTreeMap<&str, (f64, f64, f64)> = order
        .iter()
        .enumerate()
        .map(|(n, (_, host))| {
            // Start at the top and go clockwise.
            let angle = -std::f64::consts::FRAC_PI_2
                + std::f64::consts::TAU * n as f64 / order.len() as f64;
            (
                host.as_str(),
                (cx + radius * angle.cos(), cy + radius * angle.sin(), angle),
            )
        })
        .collect();
    let arrows: Vec<Arrow> = hops
        .iter()
        .filter_map(|((from, to, method), count)| {
            let (&(x1, y1, _), &(x2, y2, _)) = (&node[from.as_str()], &node[to.as_str()]);
            let (dx, dy) = (x2 - x1, y2 - y1);
            let length = (dx * dx + dy * dy).sqrt();
            // A self-loop (same host) is left out.
            if length < 2.0 {
                return None;
            }
            let (ux, uy) = (dx / length, dy / length);
            // Curve to the right of the direction of travel, so A→B and
            // B→A stay apart.
            let bend = 30.0;
            let (nx, ny) = (-uy * bend, ux * bend);
            let method = method.replace('_', " ");
            Some(Arrow {
                start: (x1 + ux * NODE, y1 + uy * NODE),
                control: ((x1 + x2) / 2.0 + nx, (y1 + y2) / 2.0 + ny),
                end: (x2 - ux * (NODE + 3.0), y2 - uy * (NODE + 3.0)),
                text: if *count > 1 {
                    format!("{method} ×{count}")
                } else {
                    method
                },
            })
        })
        .collect();
    let hosts: Vec<Extent> = node
        .values()
        .map(|&(x, y, _)| Extent::around(x, y, NODE + 2.0))
        .collect();
    let placed = place_labels(&arrows, &hosts);

    let mut svg = String::new();
    let _ = writeln!(
        svg,
        "<svg xmlns=\"http://www.w3.org/2000/svg\" viewBox=\"0 0 {width:.0} {height:.0}\" width=\"{width:.0}\" height=\"{height:.0}\" role=\"img\" aria-label=\"Lateral movement\">"
    );
    svg.push_str("<defs><marker id=\"move-head\" viewBox=\"0 0 10 10\" refX=\"9\" refY=\"5\" markerWidth=\"8\" markerHeight=\"8\" orient=\"auto-start-reverse\"><path d=\"M0,0L10,5L0,10z\" fill=\"#c0392b\"/></marker></defs>\n");
    for a in &arrows {
        let ((sx, sy), (qx, qy), (ex, ey)) = (a.start, a.control, a.end);
        let _ = writeln!(
            svg,
            "<path d=\"M{sx:.1},{sy:.1} Q{qx:.1},{qy:.1} {ex:.1},{ey:.1}\" fill=\"none\" stroke=\"#c0392b\" stroke-width=\"1.8\" marker-end=\"url(#move-head)\"/>"
        );
    }
    for (n, (first, host)) in order.iter().enumerate() {
        let (x, y, angle) = node[host.as_str()];
        let _ = writeln!(
            svg,
            "<circle cx=\"{x:.1}\" cy=\"{y:.1}\" r=\"{NODE}\" fill=\"#eaf1f8\" stroke=\"#2a5d8f\" stroke-width=\"2\"/><text x=\"{x:.1}\" y=\"{:.1}\" font-size=\"14\" font-weight=\"bold\" text-anchor=\"middle\" fill=\"#17324d\">{}</text>",
            y + 5.0,
            n + 1,
        );
        // The name and time outside the circle, on the side the host is on.
        let (c, s) = (angle.cos(), angle.sin());
        let out = NODE + 8.0;
        let (lx, ly) = (x + c * out, y + s * out);
        let anchor = if order.len() == 1 || c.abs() < 0.35 {
            "middle"
        } else if c > 0.0 {
            "start"
        } else {
            "end"
        };
        let name_y = if order.len() == 1 || s > 0.35 {
            ly + 12.0
        } else if s < -0.35 {
            ly - 16.0
        } else {
            ly - 2.0
        };
        let _ = writeln!(
            svg,
            "<text x=\"{lx:.1}\" y=\"{name_y:.1}\" font-size=\"13\" text-anchor=\"{anchor}\" fill=\"#1d2329\">{}</text><text x=\"{lx:.1}\" y=\"{:.1}\" font-size=\"11\" text-anchor=\"{anchor}\" fill=\"#5b6670\">{}</text>",
            escape(host),
            name_y + 14.0,
            first.format("%m-%d %H:%M")
        );
    }
    for (a, e) in arrows.iter().zip(&placed) {
        let _ = writeln!(
            svg,
            "<text x=\"{:.1}\" y=\"{:.1}\" font-size=\"12\" text-anchor=\"middle\" fill=\"#8a1c17\" stroke=\"#fff\" stroke-width=\"3\" paint-order=\"stroke\">{}</text>",
            (e.x0 + e.x1) / 2.0,
            (e.y0 + e.y1) / 2.0 + 4.0,
            escape(&a.text)
        );
    }
    svg.push_str("</svg>\n");
    svg
}

/// Where each arrow's label goes: the first spot along its arrow, from the
/// middle outwards, then beside it, that overlaps no label placed before
/// and no host; the middle when every spot is taken.
fn place_labels(arrows: &[Arrow], hosts: &[Extent]) -> Vec<Extent> {
    const ALONG: [f64; 7] = [0.5, 0.4, 0.6, 0.3, 0.7, 0.2, 0.8];
    const BESIDE: [f64; 5] = [0.0, -16.0, 16.0, -32.0, 32.0];
    let mut placed: Vec<Extent> = Vec::with_capacity(arrows.len());
    for a in arrows {
        let free = |e: &Extent| {
            !placed.iter().any(|p| p.overlaps(e)) && !hosts.iter().any(|h| h.overlaps(e))
        };
        let spot = BESIDE
            .iter()
            .flat_map(|&dy| ALONG.iter().map(move |&t| (t, dy)))
            .map(|(t, dy)| {
                let (x, y) = a.at(t);
                Extent::label(x, y + dy, &a.text)
            })
            .find(|e| free(e));
        let (x, y) = a.at(0.5);
        placed.push(spot.unwrap_or_else(|| Extent::label(x, y, &a.text)));
    }
    placed
}

#[cfg(test)]
mod tests {
    use super::*;

    fn arrow(from: (f64, f64), to: (f64, f64), text: &str) -> Arrow {
        Arrow {
            start: from,
            control: ((from.0 + to.0) / 2.0, (from.1 + to.1) / 2.0),
            end: to,
            text: text.into(),
        }
    }

    #[test]
    fn labels_of_crossing_arrows_are_moved_apart() {
        // Four arrows through one point: their middles coincide.
        let arrows = [
            arrow((0.0, 0.0), (400.0, 400.0), "service ×3"),
            arrow((400.0, 0.0), (0.0, 400.0), "wmi"),
            arrow((200.0, 0.0), (200.0, 400.0), "scheduled task"),
            arrow((0.0, 200.0), (400.0, 200.0), "explicit credentials"),
        ];
        let hosts = [Extent::around(200.0, 120.0, 28.0)];
        let placed = place_labels(&arrows, &hosts);
        for (n, a) in placed.iter().enumerate() {
            assert!(!a.overlaps(&hosts[0]), "label {n} on the host");
            for b in &placed[n + 1..] {
                assert!(!a.overlaps(b), "{a:?} and {b:?}");
            }
        }
    }

    #[test]
    fn a_label_with_room_stays_at_the_middle_of_its_arrow() {
        let a = arrow((0.0, 0.0), (200.0, 0.0), "rdp");
        let placed = place_labels(std::slice::from_ref(&a), &[]);
        assert_eq!(placed[0], Extent::label(100.0, 0.0, "rdp"));
    }
}
