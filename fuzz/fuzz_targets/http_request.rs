//! The HTTP/1.1 server under `vigil watch --listen` and `vigil serve`:
//! a connection's bytes read as requests one after another (Content-Length
//! and chunked bodies, `Expect`, keep-alive), within the bounds.
#![no_main]

use libfuzzer_sys::fuzz_target;
use vigil_net::http::{read_requests, Options};

fuzz_target!(|data: &[u8]| {
    let options = Options {
        max_head: 4096,
        max_body: 65536,
        ..Options::default()
    };
    let (requests, _) = read_requests(data, &options);
    for request in requests {
        assert!(request.body.len() <= options.max_body);
        let _ = request.form();
    }
});
