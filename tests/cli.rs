//! The command line as a user meets it: `check`, `review` and `demo`, exit codes and error messages.
//! (No broker needed: `demo` runs on librdkafka's in-process mock cluster by design.)

pub mod common;

use std::io::Write;
use std::path::PathBuf;
use std::process::{Command, Output, Stdio};

fn bin() -> PathBuf {
    PathBuf::from(env!("CARGO_BIN_EXE_synth-review"))
}

fn repo() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

fn run(args: &[&str], stdin: Option<&[u8]>) -> Output {
    let mut child = Command::new(bin())
        .args(args)
        .current_dir(repo())
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("spawn");
    let mut pipe = child.stdin.take().unwrap();
    if let Some(bytes) = stdin {
        feed(&mut pipe, bytes);
    }
    drop(pipe);
    child.wait_with_output().unwrap()
}

/// Writes `bytes` to a child's stdin. A child that exits without reading it (clap refusing an
/// argument before any input is read) closes the pipe: that broken pipe is not the test's
/// failure, the child's exit status and output say what happened.
fn feed(pipe: &mut std::process::ChildStdin, bytes: &[u8]) {
    match pipe.write_all(bytes) {
        Err(e) if e.kind() == std::io::ErrorKind::BrokenPipe => {}
        other => other.unwrap(),
    }
}

#[test]
fn check_accepts_the_shipped_pipeline() {
    let out = run(&["check", "--pipeline", "pipelines/default.toml"], None);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(
        text.contains(
            "identity, prohibited, news_source, reprint_source, labels, biometric_consent"
        ),
        "{text}"
    );
}

/// Writes `csv` as `dir/lex.csv`; that path, and the text of a pipeline whose one stage,
/// `prohibited`, reads it.
fn lexicon_pipeline(dir: &std::path::Path, csv: &str) -> (PathBuf, String) {
    let lex = dir.join("lex.csv");
    std::fs::write(&lex, csv).unwrap();
    let pipeline = format!(
        "[pipeline]\nname = \"x\"\n[[stages]]\nkind = \"prohibited\"\nlexicons = [\"{}\"]\n",
        lex.display()
    );
    (lex, pipeline)
}

#[test]
fn config_errors_exit_2_with_file_and_line() {
    let dir = tempfile::tempdir().unwrap();
    let (lex, with_lexicon) = lexicon_pipeline(
        dir.path(),
        "term,category,action\n网络赌场,gambling,reject\n百家乐,gambling,sometimes\n",
    );
    let cases = [
        (
            with_lexicon,
            format!("{}:3: unknown action `sometimes`", lex.display()),
        ),
        ("[pipeline]\nname = \"x\"\n[[stages]]\nkind = \"teleport\"\n".to_string(), "pipeline.toml:4:".to_string()),
        ("[pipeline]\nname = \"x\"\n[[stages]]\nkind = \"prohibited\"\nlexicons = [\"missing.csv\"]\n".to_string(), "missing.csv: cannot read".to_string()),
        ("not toml at all [".to_string(), "pipeline.toml:1:".to_string()),
    ];
    for (pipeline, want) in cases {
        let p = dir.path().join("pipeline.toml");
        std::fs::write(&p, &pipeline).unwrap();
        for cmd in ["check", "run", "review"] {
            let out = run(&[cmd, "--pipeline", p.to_str().unwrap()], Some(b""));
            assert_eq!(out.status.code(), Some(2), "{cmd} {pipeline:?}");
            let err = String::from_utf8_lossy(&out.stderr);
            assert!(err.contains(&want), "{cmd}: expected {want:?} in {err}");
        }
    }
}

#[test]
fn error_messages_quote_invisible_and_control_characters_as_escapes() {
    // A value with an escape sequence (clear screen), a zero-width space, a right-to-left
    // override and a NUL, quoted by the error: printed as `\u{..}`, never raw.
    let dir = tempfile::tempdir().unwrap();
    let (_, pipeline) = lexicon_pipeline(
        dir.path(),
        "term,category,action\n网络赌场,gambling,reject\n百家乐,gambling,so\u{1b}[2J\u{200B}me\u{202E}x\u{0}y\n",
    );
    let p = dir.path().join("pipeline.toml");
    std::fs::write(&p, pipeline).unwrap();
    let out = run(&["check", "--pipeline", p.to_str().unwrap()], None);
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8(out.stderr).unwrap();
    assert!(
        err.contains("so\\u{1b}[2J\\u{200b}me\\u{202e}x\\u{0}y"),
        "expected escapes in {err:?}"
    );
    assert!(
        !err.chars()
            .any(|c| (c.is_control() && c != '\n') || matches!(c, '\u{200B}' | '\u{202E}')),
        "a raw control or format character in {err:?}"
    );
}

#[test]
fn an_unwritable_stdout_or_stderr_is_an_error_not_a_panic() {
    let full = || Stdio::from(std::fs::File::create("/dev/full").unwrap());
    // stdout full: exit 1 naming standard output.
    let out = Command::new(bin())
        .args(["check", "--pipeline", "pipelines/default.toml"])
        .current_dir(repo())
        .stdout(full())
        .stderr(Stdio::piped())
        .output()
        .unwrap();
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "{err}");
    assert!(err.contains("cannot write to standard output"), "{err}");
    assert!(!err.contains("panicked"), "{err}");
    // stderr full as well as a failing command: the exit code still says what happened.
    let out = Command::new(bin())
        .args(["check", "--pipeline", "missing.toml"])
        .current_dir(repo())
        .stdout(Stdio::null())
        .stderr(full())
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    // Logs that cannot be written do not stop a review.
    let out = Command::new(bin())
        .args([
            "review",
            "--pipeline",
            "pipelines/default.toml",
            "--input",
            "data/demo/events.jsonl",
        ])
        .current_dir(repo())
        .stdout(Stdio::piped())
        .stderr(full())
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(0));
    let events = std::fs::read_to_string(repo().join("data/demo/events.jsonl")).unwrap();
    assert_eq!(
        String::from_utf8_lossy(&out.stdout).lines().count(),
        events.lines().count()
    );
}

#[test]
fn review_refuses_an_output_that_is_its_input_by_another_name() {
    let dir = tempfile::tempdir().unwrap();
    let input = dir.path().join("a.jsonl");
    let events = std::fs::read(repo().join("data/demo/events.jsonl")).unwrap();
    std::fs::write(&input, &events).unwrap();
    let linked = dir.path().join("b.jsonl");
    std::fs::hard_link(&input, &linked).unwrap();
    let symlinked = dir.path().join("c.jsonl");
    std::os::unix::fs::symlink(&input, &symlinked).unwrap();
    for output in [&input, &linked, &symlinked] {
        let out = run(
            &[
                "review",
                "--pipeline",
                "pipelines/default.toml",
                "--input",
                input.to_str().unwrap(),
                "--output",
                output.to_str().unwrap(),
            ],
            None,
        );
        let err = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(2), "{output:?}: {err}");
        assert!(err.contains("the same file"), "{err}");
        assert_eq!(std::fs::read(&input).unwrap(), events, "input kept");
    }
}

#[test]
fn usage_errors_exit_2() {
    assert_eq!(run(&["frobnicate"], None).status.code(), Some(2));
    assert_eq!(run(&["check"], None).status.code(), Some(2));
    assert_eq!(
        run(
            &[
                "review",
                "--pipeline",
                "pipelines/default.toml",
                "--input",
                "/nonexistent.jsonl"
            ],
            None
        )
        .status
        .code(),
        Some(2)
    );
}

/// `review` reading stdin answers each line as it comes, while its input is still open, so it
/// works as a filter between two processes (not only at end of input).
#[test]
fn review_from_stdin_answers_each_line_before_the_input_ends() {
    use std::io::BufRead;
    let mut child = Command::new(bin())
        .args(["review", "--pipeline", "pipelines/default.toml"])
        .current_dir(repo())
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .expect("spawn");
    let mut stdin = child.stdin.take().unwrap();
    let stdout = child.stdout.take().unwrap();
    let (tx, rx) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        for line in std::io::BufReader::new(stdout).lines() {
            if tx.send(line.unwrap()).is_err() {
                break;
            }
        }
    });
    for id in ["first", "second"] {
        let event = format!(
            r#"{{"event_id":"{id}","user":{{"id":"u","identity_verified":false}},"content":{{"kind":"text","text":"新年好"}},"synthesis":{{"technique":"dialogue"}}}}"#
        );
        writeln!(stdin, "{event}").unwrap();
        stdin.flush().unwrap();
        // stdin stays open: the answer must come anyway.
        let line = rx
            .recv_timeout(std::time::Duration::from_secs(60))
            .unwrap_or_else(|e| panic!("no output line for {id} while stdin is open: {e}"));
        let v: serde_json::Value = serde_json::from_str(&line).unwrap();
        assert_eq!(v["event_id"], id, "{line}");
        assert_eq!(v["decision"], "reject", "{line}");
    }
    drop(stdin);
    assert!(child.wait().unwrap().success());
}

#[test]
fn review_writes_one_line_per_input_line_in_order() {
    let good = r#"{"event_id":"a","user":{"id":"u","identity_verified":true},"content":{"kind":"text","text":"新年好"},"synthesis":{"technique":"dialogue"},"labels":{"explicit":{"present":true,"text":"AI生成"}}}"#;
    let unverified = r#"{"event_id":"b","user":{"id":"u","identity_verified":false},"content":{"kind":"text","text":"新年好"},"synthesis":{"technique":"dialogue"}}"#;
    let term = r#"{"event_id":"c","user":{"id":"u","identity_verified":true},"content":{"kind":"text","text":"欢迎来到网*络*赌*场"},"synthesis":{"technique":"dialogue"}}"#;
    let mut input = Vec::new();
    for line in [
        good.as_bytes(),
        b"{oops",
        unverified.as_bytes(),
        b"\xff\xfe",
        b"",
        b"[]",
        term.as_bytes(),
    ] {
        input.extend_from_slice(line);
        input.push(b'\n');
    }
    let out = run(
        &["review", "--pipeline", "pipelines/default.toml"],
        Some(&input),
    );
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let lines: Vec<serde_json::Value> = String::from_utf8(out.stdout)
        .unwrap()
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    let got: Vec<String> = lines
        .iter()
        .map(|l| match l["decision"].as_str().unwrap() {
            "dead_letter" => format!(
                "dead_letter:{}:{}",
                l["line"],
                l["error"]["kind"].as_str().unwrap()
            ),
            d => format!("{}:{d}", l["event_id"].as_str().unwrap()),
        })
        .collect();
    assert_eq!(
        got,
        vec![
            "a:approve",
            "dead_letter:2:malformed_json",
            "b:reject",
            "dead_letter:4:invalid_utf8",
            "dead_letter:5:malformed_json",
            "dead_letter:6:schema",
            "c:reject",
        ]
    );
    let ev = &lines[6]["reasons"][0]["evidence"];
    assert_eq!(ev["matched"], "网*络*赌*场");
    assert_eq!(ev["term"], "网络赌场");
    let text: Vec<char> = "欢迎来到网*络*赌*场".chars().collect();
    let (s, e) = (
        ev["start"].as_u64().unwrap() as usize,
        ev["end"].as_u64().unwrap() as usize,
    );
    assert_eq!(text[s..e].iter().collect::<String>(), "网*络*赌*场");
    assert_eq!(lines[2]["reasons"][0]["article"], "Art. 9");
}

#[test]
fn demo_runs_with_no_setup_and_accounts_for_every_event() {
    let out = run(
        &["--log-format", "json", "demo", "--listen", "127.0.0.1:0"],
        None,
    );
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let text = String::from_utf8_lossy(&out.stdout);
    let events = std::fs::read_to_string(repo().join("data/demo/events.jsonl")).unwrap();
    let produced = events.lines().filter(|l| !l.trim().is_empty()).count() + 4;
    assert!(
        text.contains(&format!("{produced} messages produced")),
        "{text}"
    );
    assert!(
        text.contains(&format!("{produced} reviewed and acknowledged")),
        "{text}"
    );
    let count = |label: &str| -> usize {
        text.lines()
            .find(|l| l.starts_with(label))
            .and_then(|l| l.split_whitespace().last())
            .and_then(|n| n.parse().ok())
            .unwrap_or_else(|| panic!("no {label} row in {text}"))
    };
    let routed = count("approve") + count("hold") + count("reject") + count("dead_letter");
    assert_eq!(
        routed, produced,
        "every demo message lands in exactly one topic"
    );
    assert_eq!(count("dead_letter"), 4);
    assert_eq!(count("(audit)"), produced);
    assert!(count("hold") > 0 && count("reject") > 0 && count("approve") > 0);
}

/// Runs the binary and waits for it at most `deadline`: a command that hangs (reading a FIFO that
/// nobody writes) fails the test instead of hanging it. The child is killed by its pid on timeout.
fn run_within(args: &[&str], deadline: std::time::Duration) -> Output {
    let child = Command::new(bin())
        .args(args)
        .current_dir(repo())
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("spawn");
    let pid = child.id();
    let (tx, rx) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        let _ = tx.send(child.wait_with_output());
    });
    match rx.recv_timeout(deadline) {
        Ok(out) => out.unwrap(),
        Err(_) => {
            // SAFETY: `pid` is the child this test started and has not reaped.
            unsafe { libc::kill(pid as libc::pid_t, libc::SIGKILL) };
            panic!("{args:?} did not finish within {deadline:?}");
        }
    }
}

#[test]
fn data_files_that_are_not_regular_files_are_refused_without_hanging() {
    let dir = tempfile::tempdir().unwrap();
    let fifo = dir.path().join("lexicon.fifo");
    let status = Command::new("mkfifo").arg(&fifo).status().expect("mkfifo");
    assert!(status.success(), "mkfifo failed");
    let folder = dir.path().join("a-folder.csv");
    std::fs::create_dir(&folder).unwrap();
    let huge = dir.path().join("huge.csv");
    // Sparse: 16 MiB + 1 byte of file without writing it.
    std::fs::File::create(&huge)
        .unwrap()
        .set_len(synth_review::config::MAX_FILE_BYTES + 1)
        .unwrap();
    let cases = [
        (fifo.clone(), "not a regular file: a FIFO"),
        (folder.clone(), "not a regular file: a directory"),
        (
            PathBuf::from("/dev/zero"),
            "not a regular file: a character device",
        ),
        (
            huge.clone(),
            "file is larger than the limit of 16777216 bytes",
        ),
    ];
    let p = dir.path().join("pipeline.toml");
    for (file, reason) in &cases {
        std::fs::write(
            &p,
            format!(
                "[pipeline]\nname = \"x\"\n[[stages]]\nkind = \"prohibited\"\nlexicons = [\"{}\"]\n",
                file.display()
            ),
        )
        .unwrap();
        for cmd in ["check", "run", "review"] {
            let out = run_within(
                &[cmd, "--pipeline", p.to_str().unwrap()],
                std::time::Duration::from_secs(60),
            );
            let err = String::from_utf8_lossy(&out.stderr);
            assert_eq!(
                out.status.code(),
                Some(2),
                "{cmd} {}: {err}",
                file.display()
            );
            let want = format!("{}: cannot read", file.display());
            assert!(
                err.contains(&want) && err.contains(reason),
                "{cmd}: expected {want:?} … {reason:?} in {err}"
            );
        }
    }
    // The pipeline file itself.
    for (file, reason) in &cases {
        let out = run_within(
            &["check", "--pipeline", file.to_str().unwrap()],
            std::time::Duration::from_secs(60),
        );
        let err = String::from_utf8_lossy(&out.stderr);
        assert_eq!(
            out.status.code(),
            Some(2),
            "pipeline {}: {err}",
            file.display()
        );
        assert!(
            err.contains(&format!("{}: cannot read", file.display())) && err.contains(reason),
            "pipeline {}: {err}",
            file.display()
        );
    }
}

/// Issue 12 item 8: every decision line is one line of valid JSON, whatever whitespace and
/// line-separator characters the event carried; the embedded event keeps every field and value.
#[test]
fn review_records_are_single_lines_without_control_characters() {
    let events = [
        "{\r\"event_id\":\t\"cr\",\r\r\"user\":{\"id\":\"u\",\"identity_verified\":true},\r\"content\":{\"kind\":\"text\",\"text\":\"a\\r\\nb\"},\r\"synthesis\":{\"technique\":\"dialogue\"},\"labels\":{\"explicit\":{\"present\":true,\"text\":\"AI生成\"}},\"n\":1.50}\r".to_string(),
        "{\"event_id\":\"ls\",\"user\":{\"id\":\"u\",\"identity_verified\":true},\"content\":{\"kind\":\"text\",\"text\":\"一\u{2028}二\u{85}三\u{7f}\"},\"synthesis\":{\"technique\":\"dialogue\"},\"labels\":{\"explicit\":{\"present\":true,\"text\":\"AI生成\u{2029}\"}}}".to_string(),
        r#"{"event_id":"dup","user":{"id":"u","identity_verified":true},"content":{"kind":"image","media":[{"url":"https://cdn.example/x.png","metadata":{"AIGC":{"Label":"9","Label":"1","ContentProducer":"a","ProduceID":"b"}}}]},"synthesis":{"technique":"image_generation"},"labels":{"explicit":{"present":true,"text":"AI生成"}}}"#.to_string(),
    ];
    let mut input = Vec::new();
    for e in &events {
        input.extend_from_slice(e.as_bytes());
        input.push(b'\n');
    }
    let out = run(
        &["review", "--pipeline", "pipelines/default.toml"],
        Some(&input),
    );
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let text = String::from_utf8(out.stdout).unwrap();
    assert!(
        !text
            .chars()
            .any(|c| (c.is_control() && c != '\n') || c == '\u{2028}' || c == '\u{2029}'),
        "{text:?}"
    );
    let lines: Vec<&str> = text.lines().collect();
    assert_eq!(lines.len(), events.len(), "{text}");
    for (line, original) in lines.iter().zip(&events) {
        let record: serde_json::Value = serde_json::from_str(line).unwrap();
        let original: serde_json::Value = serde_json::from_str(original).unwrap();
        assert_eq!(
            record["event"], original,
            "every field and value kept: {line}"
        );
    }
    assert!(
        lines[0].contains(r#""event":{"event_id":"cr","user""#),
        "key order kept"
    );
    assert!(lines[0].contains(r#""n":1.50}"#), "number text kept");
    assert!(
        lines[1].contains(r#"一\u2028二\u0085三\u007F"#),
        "{}",
        lines[1]
    );
    let dup: serde_json::Value = serde_json::from_str(lines[2]).unwrap();
    assert_eq!(dup["decision"], "hold", "{dup}");
    assert_eq!(dup["reasons"][0]["code"], "label_metadata_invalid", "{dup}");
    assert!(
        lines[2].contains(r#""Label":"9","Label":"1""#),
        "duplicates passed through"
    );

    // The record's own fields too: an `event_id` with DEL, NEL and the line separators, and a
    // dead letter whose message quotes a U+2028 (found by a red-team pass).
    let input = "{\"event_id\":\"c1\u{7f}\u{85}\u{2028}\u{2029}\",\"user\":{\"id\":\"u\",\"identity_verified\":true},\"content\":{\"kind\":\"text\",\"text\":\"x\"},\"synthesis\":{\"technique\":\"dialogue\"},\"labels\":{\"explicit\":{\"present\":true,\"text\":\"AI生成\"}}}\n\
                 {\"event_id\":\"k\",\"user\":{\"id\":\"u\",\"identity_verified\":true},\"content\":{\"kind\":\"te\u{2028}xt\"}}\n";
    let out = run(
        &["review", "--pipeline", "pipelines/default.toml"],
        Some(input.as_bytes()),
    );
    let text = String::from_utf8(out.stdout).unwrap();
    assert!(
        !text
            .chars()
            .any(|c| (c.is_control() && c != '\n') || c == '\u{2028}' || c == '\u{2029}'),
        "{text:?}"
    );
    let lines: Vec<serde_json::Value> = text
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert_eq!(lines.len(), 2, "{text}");
    assert_eq!(lines[0]["event_id"], "c1\u{7f}\u{85}\u{2028}\u{2029}");
    assert_eq!(lines[1]["decision"], "dead_letter", "{text}");
    assert!(
        lines[1]["error"]["message"]
            .as_str()
            .is_some_and(|m| m.contains("te\u{2028}xt")),
        "{text}"
    );
}

/// `demo --console`: after the demo, the console serves the demo's held items (the intake read
/// them from the mock cluster's held topic into a fresh SQLite store), prints its URL and a
/// login, answers the login page without a session and redirects the queue to it, and stops
/// cleanly on SIGTERM, removing its temporary directory.
#[test]
fn demo_console_serves_the_held_items() {
    demo_console_until(libc::SIGTERM, "SIGTERM");
}

/// `demo --console` whose terminal went away (SIGHUP) stops as on SIGTERM and removes its
/// temporary directory (it used to be left behind).
#[test]
fn demo_console_stops_on_sighup() {
    demo_console_until(libc::SIGHUP, "SIGHUP");
}

fn demo_console_until(signal: i32, name: &str) {
    let (web, metrics) = (common::free_port(), common::free_port());
    let dir = tempfile::tempdir().unwrap();
    let (out_path, err_path) = (dir.path().join("out"), dir.path().join("err"));
    let mut child = Command::new(bin())
        .args([
            "--log-format",
            "json",
            "demo",
            "--listen",
            "127.0.0.1:0",
            "--console",
        ])
        .args(["--console-listen", &format!("127.0.0.1:{web}")])
        .args(["--console-metrics-listen", &format!("127.0.0.1:{metrics}")])
        .current_dir(repo())
        .stdin(Stdio::null())
        .stdout(std::fs::File::create(&out_path).unwrap())
        .stderr(std::fs::File::create(&err_path).unwrap())
        .spawn()
        .expect("spawn");
    let logs = || {
        format!(
            "stdout:\n{}\nstderr:\n{}",
            std::fs::read_to_string(&out_path).unwrap_or_default(),
            common::log_tail(&err_path, 30)
        )
    };
    let held = |text: &str| -> usize {
        text.lines()
            .find(|l| l.starts_with("hold"))
            .and_then(|l| l.split_whitespace().last())
            .and_then(|n| n.parse().ok())
            .unwrap_or(0)
    };
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(120);
    let queued = loop {
        if let Ok(Some(status)) = child.try_wait() {
            panic!(
                "the demo ended ({status}) before its console served:\n{}",
                logs()
            );
        }
        let text = std::fs::read_to_string(&out_path).unwrap_or_default();
        let body = common::http_get(metrics, "/metrics")
            .map(|(_, b)| b)
            .unwrap_or_default();
        let queued = body
            .lines()
            .find(|l| l.starts_with("synth_review_console_queue_items{queue=\"moderators\"}"))
            .and_then(|l| l.split_whitespace().last()?.parse::<usize>().ok());
        if text.contains("Log in as `moderator` or `lead` with the password")
            && held(&text) > 0
            && queued == Some(held(&text))
        {
            break queued.unwrap();
        }
        assert!(
            std::time::Instant::now() < deadline,
            "the console did not queue the demo's held items within 120 s:\n{}",
            logs()
        );
        std::thread::sleep(std::time::Duration::from_millis(200));
    };
    assert!(queued > 0);
    let (status, page) = common::http_get(web, "/login").expect("the login page");
    assert_eq!(status, 200, "{page}");
    assert!(page.contains("name=\"password\""), "{page}");
    let (status, _) = common::http_get(web, "/queue").expect("the queue");
    assert!(
        (300..400).contains(&status) || status == 401,
        "the queue needs a session: {status}"
    );
    // SAFETY: kill(2) on our own child's pid.
    unsafe {
        libc::kill(child.id() as i32, signal);
    }
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(30);
    let status = loop {
        if let Some(s) = child.try_wait().unwrap() {
            break s;
        }
        if std::time::Instant::now() > deadline {
            let _ = child.kill();
            panic!("the demo console did not stop on {name}:\n{}", logs());
        }
        std::thread::sleep(std::time::Duration::from_millis(50));
    };
    assert!(status.success(), "{name}: {status}:\n{}", logs());
    let temp = std::env::temp_dir().join(format!("synth-review-demo-{}", child.id()));
    assert!(
        !temp.exists(),
        "{} left behind after {name}",
        temp.display()
    );
    // The demo asks every client for librdkafka's statistics each second; the console's
    // clients (intake, ledger reader, relay) do not log them (each was a line of several KB at
    // info level), over the whole run.
    let err = std::fs::read_to_string(&err_path).unwrap_or_default();
    assert!(
        !err.contains("Client stats"),
        "statistics logged:\n{}",
        logs()
    );
}

/// `console` with a bad file or store URL, and `console user add` with bad input: exit 2 with
/// `file:line: reason` (or the variable's name), and nothing created.
#[test]
fn console_config_and_user_errors_exit_2() {
    let dir = tempfile::tempdir().unwrap();
    let file = |name: &str, text: &str| {
        let p = dir.path().join(name);
        std::fs::write(&p, text).unwrap();
        p.to_str().unwrap().to_owned()
    };
    let cases = [
        ("[console\n", "bad.toml:1:"),
        (
            "[console]\nstore = \"mysql://u@h/db\"\n",
            "bad.toml:2: [console] store: unsupported",
        ),
        (
            "[console]\nstore = \"sqlite://\"\n",
            "bad.toml:2: [console] store: \"sqlite://\" names no file",
        ),
        ("[console]\nlisten = \"nope\"\n", "bad.toml:2:"),
    ];
    for (text, want) in cases {
        let p = file("bad.toml", text);
        let out = run(&["console", "--config", &p], None);
        let err = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(2), "{text:?}: {err}");
        assert!(err.contains(want), "{text:?}: expected {want:?} in {err}");
    }
    let out = run(&["console", "--config", "/nonexistent/console.toml"], None);
    assert_eq!(out.status.code(), Some(2));
    // Not a regular file: refused at once (a FIFO used to block for ever, /dev/zero to fill
    // the memory).
    let fifo = dir.path().join("fifo.toml");
    let c = std::ffi::CString::new(fifo.to_str().unwrap()).unwrap();
    // SAFETY: mkfifo(3) on a NUL-terminated path in our temp dir.
    assert_eq!(unsafe { libc::mkfifo(c.as_ptr(), 0o600) }, 0);
    for p in [
        fifo.to_str().unwrap(),
        "/dev/zero",
        dir.path().to_str().unwrap(),
    ] {
        let out = run_within(
            &["console", "--config", p],
            std::time::Duration::from_secs(20),
        );
        let err = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(2), "{p}: {err}");
        assert!(err.contains("not a regular file"), "{p}: {err}");
    }
    // A store that cannot be opened is named, with the hint a new SQLite file needs.
    let p = file(
        "nofile.toml",
        "[console]\nstore = \"sqlite://missing.db\"\n",
    );
    let out = run(
        &["console", "--config", &p, "user", "add", "x"],
        Some(b"a-good-password\n"),
    );
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "{err}");
    assert!(
        err.contains("missing.db") && err.contains("?mode=rwc"),
        "{err}"
    );

    let good = file(
        "console.toml",
        "[console]\nstore = \"sqlite://c.db?mode=rwc\"\n",
    );
    let out = Command::new(bin())
        .args(["console", "--config", &good, "user", "add", "x"])
        .env("SYNTH_REVIEW_CONSOLE_STORE", "")
        .stdin(Stdio::null())
        .output()
        .unwrap();
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{err}");
    assert!(
        err.contains("environment variable SYNTH_REVIEW_CONSOLE_STORE"),
        "{err}"
    );

    let add = |name: &str, password: &str, extra: &[&str]| {
        let mut args = vec!["console", "--config", &good, "user", "add", name];
        args.extend_from_slice(extra);
        run(&args, Some(format!("{password}\n").as_bytes()))
    };
    for (name, password, extra, want) in [
        ("ann", "short", &[][..], "at least 10 characters"),
        ("ann", "          ", &[][..], "all spaces"),
        ("bad name", "a-good-password", &[][..], "account name"),
        (
            "ann",
            "a-good-password",
            &["--role", "admin"][..],
            "possible values",
        ),
    ] {
        let out = add(name, password, extra);
        let err = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(2), "{name:?} {password:?}: {err}");
        assert!(err.contains(want), "{name:?}: expected {want:?} in {err}");
    }
    assert!(
        !dir.path().join("c.db").exists(),
        "a refused account must not create the store"
    );
    let out = add("ann", "a-good-password", &[]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    for name in ["ann", "Ann", "ANN"] {
        let out = add(name, "another-password", &["--role", "lead"]);
        let err = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(2), "{name}: {err}");
        assert!(
            err.contains("an account named \"ann\" exists already")
                && err.contains("ignoring ASCII case"),
            "{name}: {err}"
        );
    }
}

/// Runs the binary with `env` and `stdin`, waiting at most `deadline` (killed by its pid and the
/// test failed past it); returns the output and how long it took.
fn run_env_within(
    args: &[&str],
    env: &[(&str, &str)],
    stdin: &[u8],
    deadline: std::time::Duration,
) -> (Output, std::time::Duration) {
    let started = std::time::Instant::now();
    let mut child = Command::new(bin())
        .args(args)
        .envs(env.iter().copied())
        .current_dir(repo())
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("spawn");
    let mut pipe = child.stdin.take().unwrap();
    feed(&mut pipe, stdin);
    drop(pipe);
    let pid = child.id();
    let (tx, rx) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        let _ = tx.send(child.wait_with_output());
    });
    match rx.recv_timeout(deadline) {
        Ok(out) => (out.unwrap(), started.elapsed()),
        Err(_) => {
            // SAFETY: `pid` is the child this test started and has not reaped.
            unsafe { libc::kill(pid as libc::pid_t, libc::SIGKILL) };
            panic!("{args:?} did not finish within {deadline:?}");
        }
    }
}

/// A PostgreSQL store that refuses connections (a port nothing listens on), or that accepts
/// them and never answers (a listener that never replies): `console` and `console user add`
/// fail within the connect timeout (not the pool's 30 s), exit non-zero and name the store
/// without its password.
#[test]
fn an_unreachable_store_fails_fast_and_is_named_without_its_password() {
    let dir = tempfile::tempdir().unwrap();
    let refused = common::free_port();
    let silent = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let silent_port = silent.local_addr().unwrap().port();
    for (port, timeout, want) in [
        (refused, 5, "refused"),
        (silent_port, 1, "no connection to the database within 1 s"),
    ] {
        let p = dir.path().join(format!("pg-{port}.toml"));
        std::fs::write(
            &p,
            format!(
                "[console]\nstore = \"postgresql://u:secret@127.0.0.1:{port}/db\"\n\
                 store_connect_timeout_seconds = {timeout}\n"
            ),
        )
        .unwrap();
        let p = p.to_str().unwrap();
        for args in [
            &["console", "--config", p, "user", "add", "ann"][..],
            &[
                "console",
                "--config",
                p,
                "--listen",
                "127.0.0.1:0",
                "--metrics-listen",
                "127.0.0.1:0",
            ][..],
        ] {
            let (out, took) = run_env_within(
                args,
                &[("SYNTH_REVIEW_CONSOLE_PASSWORD", "a-good-password")],
                b"",
                std::time::Duration::from_secs(25),
            );
            let err = String::from_utf8_lossy(&out.stderr);
            assert!(!out.status.success(), "{args:?}: {err}");
            assert!(
                took < std::time::Duration::from_secs(timeout + 10),
                "{args:?} took {took:?}: {err}"
            );
            assert!(
                err.contains(&format!(
                    "cannot open the store postgresql://u:***@127.0.0.1:{port}/db"
                )),
                "{args:?}: {err}"
            );
            assert!(err.to_lowercase().contains(want), "{args:?}: {err}");
            assert!(!err.contains("secret"), "{args:?}: {err}");
        }
    }
    drop(silent);
}

/// `console` (and `demo --console`) with one address for the web application and `/metrics`,
/// from the command line, the file or both: exit 2 naming the clash, before anything is bound
/// (not "cannot listen" from the second bind) and before the store is opened.
#[test]
fn console_with_one_address_for_web_and_metrics_exits_2() {
    let dir = tempfile::tempdir().unwrap();
    let port = common::free_port();
    let (lo, any) = (format!("127.0.0.1:{port}"), format!("0.0.0.0:{port}"));
    let cfg = |name: &str, text: String| {
        let p = dir.path().join(name);
        std::fs::write(&p, text).unwrap();
        p.to_str().unwrap().to_owned()
    };
    let store = "store = \"sqlite://c.db?mode=rwc\"\n";
    let plain = cfg("plain.toml", format!("[console]\n{store}"));
    let listen_in_file = cfg(
        "listen.toml",
        format!("[console]\n{store}listen = \"{lo}\"\n"),
    );
    let both_in_file = cfg(
        "both.toml",
        format!("[console]\n{store}listen = \"{lo}\"\nmetrics_listen = \"{lo}\"\n"),
    );
    for (args, want) in [
        (
            vec![
                "console",
                "--config",
                &plain,
                "--listen",
                &lo,
                "--metrics-listen",
                &lo,
            ],
            "need addresses of their own",
        ),
        (
            vec![
                "console",
                "--config",
                &plain,
                "--listen",
                &any,
                "--metrics-listen",
                &lo,
            ],
            "need addresses of their own",
        ),
        (
            vec![
                "console",
                "--config",
                &listen_in_file,
                "--metrics-listen",
                &lo,
            ],
            "need addresses of their own",
        ),
        (
            vec!["console", "--config", &both_in_file],
            "both.toml:4: [console] metrics_listen must differ from listen",
        ),
        (
            vec![
                "demo",
                "--listen",
                "127.0.0.1:0",
                "--console",
                "--console-listen",
                &lo,
                "--console-metrics-listen",
                &lo,
            ],
            "need addresses of their own",
        ),
    ] {
        let out = run_within(&args, std::time::Duration::from_secs(20));
        let err = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(2), "{args:?}: {err}");
        assert!(err.contains(want), "{args:?}: expected {want:?} in {err}");
        assert!(!err.contains("cannot listen"), "{args:?}: {err}");
    }
    assert!(!dir.path().join("c.db").exists(), "the store was opened");
}
