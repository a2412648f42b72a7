//! `synth-review review`: the review engine over JSONL, no Kafka (DESIGN §6). One output line per
//! input line, in order: a decision record (DESIGN §3) or
//! `{"line": N, "decision": "dead_letter", "error": {"kind": …, "message": …}}`.
//!
//! Lines are read with a bound: a line longer than the event limit is skipped to its end without
//! being held in memory and reported as `too_large`.

use std::io::{self, BufRead, Write};

use serde::Serialize;

use crate::engine::{now_rfc3339, Engine};
use crate::event::{parse_event, EventError, EventErrorKind};
use crate::metrics::Metrics;

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
        match parsed {
            Ok(p) => {
                let review = engine.review(&p.event);
                metrics.reviewed(&review);
                let at = now_rfc3339();
                serde_json::to_writer(
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
                serde_json::to_writer(
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
