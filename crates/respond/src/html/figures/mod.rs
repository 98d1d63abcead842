//! The report's figures as inline SVG: the hosts over time (and its
//! busiest hour enlarged), and the attacker's moves between hosts as a
//! graph. Layouts are deterministic so the same case always draws the same
//! picture.

mod movement;
mod timeline;

pub use movement::movement;
pub use timeline::{busiest_hour, timeline};

use super::escape;

/// The figures' width in pixels.
const WIDTH: f64 = 1100.0;

/// A figure with nothing to draw, saying so.
fn empty(text: &str) -> String {
    format!(
        "<svg xmlns=\"http://www.w3.org/2000/svg\" viewBox=\"0 0 {WIDTH} 60\" width=\"{WIDTH}\" height=\"60\" role=\"img\"><text x=\"20\" y=\"35\" font-size=\"14\" fill=\"#5b6670\">{text}</text></svg>\n"
    )
}
