//! Why a whole input file could not be read.

use std::io;
use std::path::PathBuf;

/// A file that could not be read at all. Damage inside a readable file is not
/// an error: it becomes a [`SourceIssue`](crate::SourceIssue) and reading goes on.
#[derive(Debug, thiserror::Error)]
pub enum SourceError {
    #[error("cannot open {}: {source}; check that the file exists and that you may read it", path.display())]
    Open { path: PathBuf, source: io::Error },

    #[error("cannot read {}: {source}; check the file and the disk it is on", path.display())]
    Read { path: PathBuf, source: io::Error },

    #[error("{} is not a gzip file or its gzip header is damaged: {source}; remove the .gz extension if it is not compressed", path.display())]
    Gzip { path: PathBuf, source: io::Error },

    #[error("{} is not a readable EVTX file: {reason}; check that it is an EVTX log and that its first 4 KiB (the file header) are intact", path.display())]
    NotEvtx { path: PathBuf, reason: String },

    #[error("{} decompresses to more than {} GiB, too large to read in memory; decompress it to disk and read the .evtx file instead", path.display(), limit >> 30)]
    TooLarge { path: PathBuf, limit: u64 },
}
