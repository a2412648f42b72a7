//! `synth-review review`: the review engine over JSONL, no Kafka (DESIGN §6). One output line per
//! input line, in order: a decision record (DESIGN §3) or
//! `{"line": N, "decision": "dead_letter", "error": {"kind": …, "message": …}}`.
//!
//! Lines are read with a bound: a line longer than the event limit is skipped to its end without
//! being held in memory and reported as `too_large`.

use std::fs::File;
use std::io::{self, BufRead, BufReader, BufWriter, Write};
use std::path::{Path, PathBuf};

use serde::Serialize;

use super::AppError;

use crate::engine::{now_rfc3339, Engine};
use crate::event::{parse_event, EventError, EventErrorKind};
use crate::ops::metrics::Metrics;

#[derive(Serialize)]
struct DeadLetterLine<'a> {
    line: u64,
    decision: &'static str,
    error: DeadLetterError<'a>,
}

#[derive(Serialize)]
struct DeadLetterError<'a> {
    kind: &'static str,
    message: &'a str,
}

/// Counts of one `review` run.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct ReviewCounts {
    /// Lines read.
    pub lines: u64,
    /// Approved.
    pub approve: u64,
    /// Held.
    pub hold: u64,
    /// Rejected.
    pub reject: u64,
    /// Unreadable lines.
    pub dead_letter: u64,
}

/// Reads one line of at most `max` bytes (without the newline). Returns `Ok(None)` at end of
/// input, `Ok(Some(Err(n)))` for a line of `n > max` bytes that was skipped.
fn read_line_bounded(
    r: &mut impl BufRead,
    max: usize,
    buf: &mut Vec<u8>,
) -> io::Result<Option<Result<(), usize>>> {
    buf.clear();
    let mut total = 0usize;
    let mut any = false;
    loop {
        let chunk = r.fill_buf()?;
        if chunk.is_empty() {
            break;
        }
        any = true;
        let (take, done) = match memchr_newline(chunk) {
            Some(i) => (i, true),
            None => (chunk.len(), false),
        };
        if total + take <= max {
            buf.extend_from_slice(&chunk[..take]);
        }
        total += take;
        r.consume(if done { take + 1 } else { take });
        if done {
            break;
        }
    }
    if !any {
        return Ok(None);
    }
    if total > max {
        buf.clear();
        return Ok(Some(Err(total)));
    }
    if buf.last() == Some(&b'\r') {
        buf.pop();
    }
    Ok(Some(Ok(())))
}

fn memchr_newline(b: &[u8]) -> Option<usize> {
    b.iter().position(|&c| c == b'\n')
}

/// Reviews every line of `input` and writes one line per input line to `output`.
///
/// # Errors
/// Only I/O errors on `input` or `output`; unreadable events become dead-letter lines.
pub fn review_jsonl(
    engine: &Engine,
    metrics: &Metrics,
    input: &mut impl BufRead,
    output: &mut impl Write,
) -> io::Result<ReviewCounts> {
    let mut counts = ReviewCounts::default();
    let mut buf = Vec::new();
    let max = engine.limits().max_event_bytes;
    while let Some(line) = read_line_bounded(input, max, &mut buf)? {
        counts.lines += 1;
        let parsed = match line {
            Ok(()) => parse_event(&buf, engine.limits()),
            Err(n) => Err(EventError {
                kind: EventErrorKind::TooLarge,
                message: format!("line is {n} bytes, the limit is {max} bytes"),
            }),
        };
        // A stage that panics makes the line a dead letter `internal_error`, like in `run`.
        let reviewed = parsed.and_then(|p| match engine.review(&p.event) {
            Ok(review) => Ok((p, review)),
            Err(e) => Err(EventError {
                kind: EventErrorKind::InternalError,
                message: e.to_string(),
            }),
        });
        match reviewed {
            Ok((p, review)) => {
                metrics.reviewed(&review);
                let at = now_rfc3339();
                crate::event::write_line_json(
                    &mut *output,
                    &engine.record(&p.event.event_id, &review, &p.raw, &at),
                )?;
                match review.decision {
                    crate::decision::Decision::Approve => counts.approve += 1,
                    crate::decision::Decision::Hold => counts.hold += 1,
                    crate::decision::Decision::Reject => counts.reject += 1,
                }
            }
            Err(e) => {
                metrics.dead_letter(e.kind);
                counts.dead_letter += 1;
                crate::event::write_line_json(
                    &mut *output,
                    &DeadLetterLine {
                        line: counts.lines,
                        decision: "dead_letter",
                        error: DeadLetterError {
                            kind: e.kind.as_str(),
                            message: &e.message,
                        },
                    },
                )?;
            }
        }
        output.write_all(b"\n")?;
    }
    output.flush()?;
    Ok(counts)
}

/// What `review` reads and writes (also its command-line arguments).
#[derive(Debug, Clone, clap::Args)]
pub struct ReviewOptions {
    /// Pipeline file (TOML); [pipeline], [limits] and [[stages]] are used, Kafka settings are not.
    #[arg(long)]
    pub pipeline: PathBuf,
    /// Input JSONL file, or `-` for standard input.
    #[arg(long, default_value = "-")]
    pub input: String,
    /// Output file, or `-` for standard output.
    #[arg(long, default_value = "-")]
    pub output: String,
}

/// `review`: one decision line per input line, in order. Reading a stream (stdin), each output
/// line is written as soon as its input line is reviewed, so `review` works as a filter between
/// processes; reading a file, output is written in large blocks. A closed output pipe ends the
/// review quietly.
///
/// # Errors
/// [`AppError::Config`] for the pipeline, [`AppError::Usage`] for an input that is a directory or
/// the same file as the output, [`AppError::Io`] when reading or writing fails.
pub fn review(opts: &ReviewOptions) -> Result<ReviewCounts, AppError> {
    let loaded = super::load(&opts.pipeline)?;
    let (input, output) = (opts.input.as_str(), opts.output.as_str());
    if input != "-" && output != "-" {
        // The same file by device and inode: also through a hard link or a symlink.
        if let (Ok(a), Ok(b)) = (std::fs::metadata(input), std::fs::metadata(output)) {
            use std::os::unix::fs::MetadataExt as _;
            if a.dev() == b.dev() && a.ino() == b.ino() && a.is_file() {
                return Err(AppError::Usage(format!("--input and --output are the same file ({input}); it would be truncated before it is read")));
            }
        }
    }
    if input != "-" && Path::new(input).is_dir() {
        return Err(AppError::Usage(format!("--input {input} is a directory")));
    }
    let mut reader: Box<dyn BufRead> = if input == "-" {
        Box::new(BufReader::new(io::stdin().lock()))
    } else {
        let f = File::open(input)
            .map_err(|e| AppError::Usage(format!("cannot open input {input}: {e}")))?;
        Box::new(BufReader::with_capacity(1 << 16, f))
    };
    let streaming = input == "-";
    let mut writer: Box<dyn Write> = match (output, streaming) {
        ("-", true) => Box::new(io::LineWriter::new(io::stdout().lock())),
        ("-", false) => Box::new(BufWriter::new(io::stdout().lock())),
        (path, _) => {
            let f = File::create(path)
                .map_err(|e| AppError::Usage(format!("cannot create output {path}: {e}")))?;
            if streaming {
                Box::new(io::LineWriter::new(f))
            } else {
                Box::new(BufWriter::new(f))
            }
        }
    };
    let metrics = Metrics::new();
    match review_jsonl(&loaded.engine, &metrics, &mut reader, &mut writer) {
        Ok(c) => {
            tracing::info!(
                lines = c.lines,
                approve = c.approve,
                hold = c.hold,
                reject = c.reject,
                dead_letter = c.dead_letter,
                "Review finished."
            );
            Ok(c)
        }
        Err(e) if e.kind() == io::ErrorKind::BrokenPipe => Ok(ReviewCounts::default()),
        Err(e) => Err(AppError::Io(format!(
            "reviewing {input} into {output}: {e}"
        ))),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bounded_reader_splits_lines_and_skips_long_ones() {
        let data = b"abc\r\n0123456789ABCDEF\n\nxyz";
        let mut r = io::BufReader::with_capacity(4, &data[..]);
        let mut buf = Vec::new();
        let mut got = Vec::new();
        while let Some(l) = read_line_bounded(&mut r, 8, &mut buf).unwrap() {
            got.push(l.map(|()| String::from_utf8(buf.clone()).unwrap()));
        }
        assert_eq!(
            got,
            vec![
                Ok("abc".into()),
                Err(16),
                Ok(String::new()),
                Ok("xyz".into())
            ]
        );
    }
}
