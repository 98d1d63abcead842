//! Prints every event of the given files as `field=value` pairs, the way
//! Vigil flattened them: for reading evidence while writing a test.

fn main() {
    let paths: Vec<std::path::PathBuf> = std::env::args().skip(1).map(Into::into).collect();
    let (files, _) = vigil_sources::discover(&paths);
    for f in &files {
        let _ = vigil_sources::read_file(
            f,
            &mut |e| {
                let fields: Vec<String> = e
                    .fields()
                    .map(|(k, v)| format!("{k}={}", v.to_json()))
                    .collect();
                println!("{:?} {}", e.timestamp, fields.join(" "));
            },
            &mut |_| {},
        );
    }
}
