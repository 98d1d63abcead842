//! The simulated healthcare estate (to come).
