//! Requests per second per sender: a token bucket for each, so that one
//! sender's flood is refused (429) while the others go on.

use std::collections::HashMap;
use std::sync::Mutex;
use std::time::{Duration, Instant};

/// Senders tracked at most. Past it, buckets that are full again (senders
/// quiet for a while) are forgotten; if none is, a new sender is let
/// through untracked rather than refused: the intake's bounded queue still
/// holds a flood back.
const MAX_SENDERS: usize = 4096;

pub struct RateLimit {
    per_second: f64,
    burst: f64,
    buckets: Mutex<HashMap<String, Bucket>>,
}

struct Bucket {
    tokens: f64,
    at: Instant,
}

impl RateLimit {
    /// `per_second` requests a second for each sender, with bursts of up to
    /// twice that (at least one).
    pub fn new(per_second: f64) -> RateLimit {
        RateLimit {
            per_second,
            burst: (per_second * 2.0).max(1.0),
            buckets: Mutex::new(HashMap::new()),
        }
    }

    /// Takes one request for `sender`; when over the rate, how long until
    /// it may send again.
    pub fn admit(&self, sender: &str) -> Result<(), Duration> {
        self.admit_at(sender, Instant::now())
    }

    fn admit_at(&self, sender: &str, now: Instant) -> Result<(), Duration> {
        let mut buckets = self.buckets.lock().unwrap_or_else(|e| e.into_inner());
        if !buckets.contains_key(sender) && buckets.len() >= MAX_SENDERS {
            let (rate, burst) = (self.per_second, self.burst);
            buckets.retain(|_, b| refill(b, now, rate, burst) < burst);
            if buckets.len() >= MAX_SENDERS {
                return Ok(());
            }
        }
        let bucket = buckets.entry(sender.to_string()).or_insert(Bucket {
            tokens: self.burst,
            at: now,
        });
        let tokens = refill(bucket, now, self.per_second, self.burst);
        if tokens >= 1.0 {
            bucket.tokens = tokens - 1.0;
            bucket.at = now;
            Ok(())
        } else {
            Err(Duration::from_secs_f64((1.0 - tokens) / self.per_second))
        }
    }
}

fn refill(bucket: &Bucket, now: Instant, per_second: f64, burst: f64) -> f64 {
    let elapsed = now.saturating_duration_since(bucket.at).as_secs_f64();
    (bucket.tokens + elapsed * per_second).min(burst)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_sender_over_its_rate_waits_and_others_do_not() {
        let limit = RateLimit::new(5.0);
        let start = Instant::now();
        for _ in 0..10 {
            assert!(limit.admit_at("a", start).is_ok());
        }
        let wait = limit.admit_at("a", start).unwrap_err();
        assert!(
            wait > Duration::ZERO && wait <= Duration::from_millis(200),
            "{wait:?}"
        );
        assert!(limit.admit_at("b", start).is_ok());
        // A fifth of a second later, one more.
        let later = start + Duration::from_millis(200);
        assert!(limit.admit_at("a", later).is_ok());
        assert!(limit.admit_at("a", later).is_err());
    }

    #[test]
    fn many_senders_never_grow_the_table_past_its_cap() {
        let limit = RateLimit::new(1.0);
        let start = Instant::now();
        for n in 0..(MAX_SENDERS + 100) {
            assert!(limit.admit_at(&n.to_string(), start).is_ok());
        }
        assert!(limit.buckets.lock().unwrap().len() <= MAX_SENDERS);
        // Once they are quiet, new senders are tracked again.
        let later = start + Duration::from_secs(10);
        assert!(limit.admit_at("new", later).is_ok());
        assert!(limit.buckets.lock().unwrap().contains_key("new"));
    }
}
