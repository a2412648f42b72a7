//! The docker-compose stack and the Dockerfile, checked statically (no Docker engine here):
//! `docker-compose.yml`, its mounted files, ports, topics and scrape targets agree with each other
//! (the console's file, `dashboards/console.toml`, included);
//! the Dockerfile's toolchain builds the locked dependencies; and every YAML file we ship reads the
//! same with our YAML reader (`tests/common/yaml.rs`) as with PyYAML.
//!
//! Needs python3 with PyYAML (`SYNTH_REVIEW_PYTHON`), which `scripts/test.sh` provides.

pub mod common;

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

use common::yaml::{self, read_yaml};
use common::*;
use serde_json::Value;
use synth_review::config::console::load_console_file;
use synth_review::config::Disk;
use synth_review::engine::load_pipeline;

const YAML_FILES: [&str; 5] = [
    "docker-compose.yml",
    "dashboards/prometheus.yml",
    "dashboards/alerts.yml",
    "dashboards/grafana/provisioning/datasources/prometheus.yml",
    "dashboards/grafana/provisioning/dashboards/synth-review.yml",
];

/// The python3 with PyYAML that `scripts/test.sh` provides: `$SYNTH_REVIEW_PYTHON`, else `python3`.
fn python() -> PathBuf {
    std::env::var_os("SYNTH_REVIEW_PYTHON")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from("python3"))
}

/// PyYAML's `safe_load` of `src`, as JSON.
///
/// # Panics
/// If python3 or PyYAML cannot read it.
fn pyyaml(what: &str, src: &str) -> Value {
    use std::io::Write;
    let mut child = Command::new(python())
        .args([
            "-c",
            "import json, sys, yaml; print(json.dumps(yaml.safe_load(sys.stdin.buffer.read())))",
        ])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap_or_else(|e| panic!("{}: {e}", python().display()));
    child
        .stdin
        .take()
        .unwrap()
        .write_all(src.as_bytes())
        .unwrap();
    let out = child.wait_with_output().unwrap();
    assert!(
        out.status.success(),
        "PyYAML cannot read {what}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    serde_json::from_slice(&out.stdout).unwrap()
}

/// Our YAML reader and PyYAML (an independent reader, of YAML 1.1) agree on every YAML file we
/// ship, and on the YAML constructs they both understand; what YAML readers disagree on, ours
/// refuses. PyYAML must be there: `scripts/test.sh` makes sure it is.
#[test]
fn yaml_matches_pyyaml() {
    let probe = Command::new(python()).args(["-c", "import yaml"]).output();
    assert!(
        probe.as_ref().is_ok_and(|o| o.status.success()),
        "{} with PyYAML is needed: run the tests through scripts/test.sh, which provides it \
         (Debian: apt-get install python3-yaml; otherwise: python3 -m pip install pyyaml): {}",
        python().display(),
        match &probe {
            Ok(o) => String::from_utf8_lossy(&o.stderr).into_owned(),
            Err(e) => e.to_string(),
        }
    );
    for rel in YAML_FILES {
        let theirs = pyyaml(rel, &read(rel));
        assert_eq!(
            read_yaml(rel),
            theirs,
            "{rel}: our YAML reader and PyYAML disagree"
        );
    }
    // Anchors and aliases, folded scalars, flow mappings, a quoted leading-zero number: read as
    // PyYAML reads them.
    for src in [
        "a: &x 1\nb: *x\n",
        "a: >\n  folded\n",
        "a: {b: 1}\n",
        "a: '0755'\n",
    ] {
        assert_eq!(
            yaml::parse(src),
            Ok(pyyaml(&format!("{src:?}"), src)),
            "{src:?}"
        );
    }
    // The reader refuses what readers disagree on instead of guessing.
    for bad in [
        "a: 1\na: 2\n",
        "a: 0755\n",
        "a: yes\n",
        "a: 1:30\n",
        "a: 1e3\n",
        "a: Null\n",
        "<<: {b: 1}\n",
        "a: !reset x\n",
    ] {
        assert!(yaml::parse(bad).is_err(), "accepted {bad:?}");
    }
}

/// The service names, port map and mounted files of `docker-compose.yml`, and what they must agree
/// with: the Dockerfile, Prometheus' scrape targets, Grafana's provisioning and the pipeline's
/// topics.
#[test]
fn compose_stack_is_consistent() {
    // Where the Compose plugin exists, it validates the file against the Compose specification.
    let compose = Command::new("docker")
        .args(["compose", "version"])
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .is_ok_and(|s| s.success());
    if compose {
        let out = Command::new("docker")
            .args(["compose", "-f", "docker-compose.yml", "config", "-q"])
            .current_dir(repo())
            .output()
            .expect("docker compose config");
        assert!(
            out.status.success(),
            "docker compose config -q: {}",
            String::from_utf8_lossy(&out.stderr)
        );
    } else {
        eprintln!(
            "`docker compose` is not available: docker-compose.yml is checked statically only"
        );
    }
    let c = read_yaml("docker-compose.yml");
    let services = c["services"].as_object().expect("services");
    let names: BTreeSet<&str> = services.keys().map(String::as_str).collect();
    assert_eq!(
        names,
        BTreeSet::from([
            "kafka",
            "kafka-init",
            "worker-1",
            "worker-2",
            "console",
            "prometheus",
            "grafana"
        ])
    );
    let known_keys = [
        "image",
        "build",
        "command",
        "entrypoint",
        "environment",
        "ports",
        "volumes",
        "depends_on",
        "healthcheck",
        "restart",
        "stop_grace_period",
    ];
    let mut host_ports = BTreeMap::new();
    for (name, s) in services {
        for k in s.as_object().unwrap().keys() {
            assert!(
                known_keys.contains(&k.as_str()),
                "{name}: unexpected key {k}"
            );
        }
        assert!(s["image"].is_string(), "{name}: image");
        for p in s["ports"].as_array().into_iter().flatten() {
            let p = p
                .as_str()
                .unwrap_or_else(|| panic!("{name}: quote port {p}"));
            let (host, container) = p.split_once(':').unwrap();
            let host: u16 = host.parse().unwrap();
            let _: u16 = container.parse().unwrap();
            assert!(
                host_ports.insert(host, name.clone()).is_none(),
                "host port {host} used twice"
            );
        }
        for v in s["volumes"].as_array().into_iter().flatten() {
            let v = v.as_str().unwrap();
            let host = v.split(':').next().unwrap();
            assert!(
                host.starts_with("./"),
                "{name}: bind mounts are repository files: {v}"
            );
            assert!(
                repo().join(host).exists(),
                "{name}: mounted {host} does not exist in the repository"
            );
        }
        if let Some(deps) = s["depends_on"].as_object() {
            for (dep, cond) in deps {
                assert!(
                    services.contains_key(dep),
                    "{name} depends on unknown {dep}"
                );
                let cond = cond["condition"].as_str().unwrap();
                if cond == "service_healthy" {
                    assert!(
                        services[dep]["healthcheck"].is_object(),
                        "{dep} needs a healthcheck"
                    );
                }
            }
        }
        for dep in s["depends_on"].as_array().into_iter().flatten() {
            assert!(
                services.contains_key(dep.as_str().unwrap()),
                "{name} depends on unknown {dep}"
            );
        }
    }
    assert_eq!(
        host_ports.keys().copied().collect::<Vec<_>>(),
        [3000, 8080, 9090, 9464, 9465, 9466, 29092]
    );

    // Kafka: the official image, KRaft, and the listener the workers use.
    let kafka = &c["services"]["kafka"];
    assert!(kafka["image"]
        .as_str()
        .unwrap()
        .starts_with("apache/kafka:"));
    let env = &kafka["environment"];
    assert!(
        env["KAFKA_PROCESS_ROLES"]
            .as_str()
            .unwrap()
            .contains("controller"),
        "KRaft"
    );
    assert!(env.get("KAFKA_ZOOKEEPER_CONNECT").is_none());
    assert!(env["KAFKA_ADVERTISED_LISTENERS"]
        .as_str()
        .unwrap()
        .contains("PLAINTEXT://kafka:9092"));

    // The topic creator makes every topic of the pipeline the workers run.
    let init = &c["services"]["kafka-init"];
    assert_eq!(init["depends_on"]["kafka"]["condition"], "service_healthy");
    assert_eq!(init["image"], kafka["image"]);
    let script = init["command"][0].as_str().unwrap();
    let pipeline =
        load_pipeline(&repo().join("pipelines/default.toml"), &Disk).expect("default pipeline");
    let t = &pipeline.file.topics;
    for topic in [
        &t.input,
        &t.approved,
        &t.held,
        &t.rejected,
        &t.dead_letter,
        &t.audit,
    ] {
        assert!(
            script.contains(topic.as_str()),
            "kafka-init does not create {topic}"
        );
    }

    // Two workers from the repository's Dockerfile, one group, metrics on 9464.
    let mut scrape_targets = BTreeSet::new();
    for w in ["worker-1", "worker-2"] {
        let s = &c["services"][w];
        assert_eq!(s["build"]["context"], ".");
        assert!(repo()
            .join(s["build"]["dockerfile"].as_str().unwrap())
            .is_file());
        let cmd: Vec<&str> = s["command"]
            .as_array()
            .unwrap()
            .iter()
            .map(|v| v.as_str().unwrap())
            .collect();
        assert_eq!(cmd[0], "run");
        let pipeline = cmd[cmd.iter().position(|a| *a == "--pipeline").unwrap() + 1];
        let in_repo = pipeline
            .strip_prefix("/app/")
            .expect("the image keeps pipelines under /app");
        assert!(
            repo().join(in_repo).is_file(),
            "{w}: {pipeline} is not in the image"
        );
        assert_eq!(
            cmd[cmd.iter().position(|a| *a == "--listen").unwrap() + 1],
            "0.0.0.0:9464"
        );
        assert_eq!(s["environment"]["SYNTH_REVIEW_BROKERS"], "kafka:9092");
        assert_eq!(s["environment"]["SYNTH_REVIEW_GROUP_ID"], "synth-review");
        assert_eq!(
            s["depends_on"]["kafka-init"]["condition"],
            "service_completed_successfully"
        );
        scrape_targets.insert(format!("{w}:9464"));
    }

    // Prometheus scrapes exactly the workers, as job synth-review, with the rules mounted beside
    // its config so that `rule_files: [alerts.yml]` resolves in the container.
    let prom = read_yaml("dashboards/prometheus.yml");
    let job = prom["scrape_configs"]
        .as_array()
        .unwrap()
        .iter()
        .find(|j| j["job_name"] == "synth-review")
        .expect("job synth-review");
    let targets: BTreeSet<String> = job["static_configs"][0]["targets"]
        .as_array()
        .unwrap()
        .iter()
        .map(|v| v.as_str().unwrap().to_string())
        .collect();
    assert_eq!(targets, scrape_targets);
    assert_eq!(prom["rule_files"], serde_json::json!(["alerts.yml"]));
    let mounts = |svc: &str| -> BTreeMap<String, String> {
        c["services"][svc]["volumes"]
            .as_array()
            .unwrap()
            .iter()
            .map(|v| {
                let parts: Vec<&str> = v.as_str().unwrap().split(':').collect();
                (parts[1].to_string(), parts[0].to_string())
            })
            .collect()
    };
    // The console: the workers' image, its file mounted from the repository, the default
    // pipeline's topics, the broker inside the stack, its ports published, and its /metrics
    // scraped as job synth-review-console.
    let console = &c["services"]["console"];
    assert_eq!(console["build"], c["services"]["worker-1"]["build"]);
    assert_eq!(console["image"], c["services"]["worker-1"]["image"]);
    assert_eq!(
        console["depends_on"]["kafka-init"]["condition"],
        "service_completed_successfully"
    );
    let cmd: Vec<&str> = console["command"]
        .as_array()
        .unwrap()
        .iter()
        .map(|v| v.as_str().unwrap())
        .collect();
    assert_eq!(cmd[0], "console");
    let config = cmd[cmd.iter().position(|a| *a == "--config").unwrap() + 1];
    let host_file = mounts("console")
        .get(config)
        .cloned()
        .unwrap_or_else(|| panic!("console: {config} is not mounted"));
    assert_eq!(host_file, "./dashboards/console.toml");
    // Read as the container reads it (a relative SQLite path would resolve against its folder).
    let text = read(host_file.trim_start_matches("./"));
    let dir = tempfile::tempdir().unwrap();
    let in_container = dir.path().join("console.toml");
    std::fs::write(&in_container, &text).unwrap();
    let file = load_console_file(&in_container, Vec::new()).expect("dashboards/console.toml");
    assert_eq!(file.kafka.brokers, "kafka:9092");
    let ct = &file.topics;
    for (theirs, ours) in [
        (&ct.input, &t.input),
        (&ct.held, &t.held),
        (&ct.approved, &t.approved),
        (&ct.rejected, &t.rejected),
        (&ct.dead_letter, &t.dead_letter),
        (&ct.audit, &t.audit),
    ] {
        assert_eq!(theirs, ours, "the console's topics are the workers'");
    }
    // The topics the console writes and reads exist too (the broker creates none itself): a
    // record for a missing topic would fail every relay transaction it is in.
    for topic in [
        file.ledger.user_actions_topic.as_str(),
        file.complaints.topic.as_str(),
        file.complaints.results_topic.as_str(),
        file.appeals.topic.as_str(),
        file.topics
            .refuted_claims
            .as_deref()
            .unwrap_or(synth_review::console::relay::DEFAULT_REFUTED_CLAIMS_TOPIC),
    ] {
        assert!(script.contains(topic), "kafka-init does not create {topic}");
    }
    assert!(
        script.contains("synth.refuted-claims.v1 --partitions 1 --config cleanup.policy=compact"),
        "the refuted-claims topic is compacted"
    );
    // The SQLite store is written where the image's user may write, not in the read-only mount.
    assert!(
        file.console.store.starts_with("sqlite:///tmp/")
            || file.console.store.starts_with("postgres://"),
        "console store {}",
        file.console.store
    );
    assert!(
        file.console.listen.ip().is_unspecified()
            && file.console.metrics_listen.ip().is_unspecified()
    );
    let published: BTreeSet<u16> = console["ports"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| {
            p.as_str()
                .unwrap()
                .split_once(':')
                .unwrap()
                .1
                .parse()
                .unwrap()
        })
        .collect();
    assert_eq!(
        published,
        BTreeSet::from([
            file.console.listen.port(),
            file.console.metrics_listen.port()
        ])
    );
    let console_job = prom["scrape_configs"]
        .as_array()
        .unwrap()
        .iter()
        .find(|j| j["job_name"] == "synth-review-console")
        .expect("job synth-review-console");
    assert_eq!(
        console_job["static_configs"][0]["targets"],
        serde_json::json!([format!("console:{}", file.console.metrics_listen.port())])
    );

    let pm = mounts("prometheus");
    assert_eq!(
        pm["/etc/prometheus/prometheus.yml"],
        "./dashboards/prometheus.yml"
    );
    assert_eq!(pm["/etc/prometheus/alerts.yml"], "./dashboards/alerts.yml");

    // Grafana: the provisioned data source is the prometheus service, and the dashboards provider
    // reads the folder the dashboard JSON is mounted into.
    let gm = mounts("grafana");
    let ds = read_yaml("dashboards/grafana/provisioning/datasources/prometheus.yml");
    assert_eq!(ds["datasources"][0]["type"], "prometheus");
    assert_eq!(ds["datasources"][0]["url"], "http://prometheus:9090");
    let provider = read_yaml("dashboards/grafana/provisioning/dashboards/synth-review.yml");
    let folder = provider["providers"][0]["options"]["path"]
        .as_str()
        .unwrap();
    let dash_target = gm
        .iter()
        .find(|(_, host)| *host == "./dashboards/synth-review.json")
        .unwrap()
        .0;
    assert_eq!(Path::new(dash_target).parent().unwrap(), Path::new(folder));
    assert_eq!(
        gm["/etc/grafana/provisioning/datasources"],
        "./dashboards/grafana/provisioning/datasources"
    );
    assert_eq!(
        gm["/etc/grafana/provisioning/dashboards"],
        "./dashboards/grafana/provisioning/dashboards"
    );
}

/// The host target triple, from `rustc -vV`.
fn host_triple() -> String {
    let out = Command::new("rustc")
        .arg("-vV")
        .output()
        .expect("rustc -vV");
    String::from_utf8_lossy(&out.stdout)
        .lines()
        .find_map(|l| l.strip_prefix("host: "))
        .expect("rustc -vV names the host")
        .to_string()
}

/// The Dockerfile is a two-stage build whose Rust image can build the locked dependencies (their
/// highest `rust-version`) and has what rdkafka-sys needs to compile librdkafka.
#[test]
fn dockerfile_builds_the_locked_dependencies() {
    let text = read("Dockerfile");
    let froms: Vec<&str> = text.lines().filter(|l| l.starts_with("FROM ")).collect();
    assert_eq!(froms.len(), 2, "a two-stage build: {froms:?}");
    let rust_image = froms[0].split_whitespace().nth(1).unwrap();
    let tag = rust_image
        .strip_prefix("rust:")
        .expect("the build stage uses the official rust image");
    let mut ver: Vec<u32> = tag
        .split('-')
        .next()
        .unwrap()
        .split('.')
        .map(|p| p.parse().unwrap())
        .collect();
    ver.resize(3, 0);
    for tool in ["cmake", "make", "g++"] {
        assert!(
            text.contains(&format!(" {tool} ")),
            "the build stage installs {tool}"
        );
    }
    assert!(text.contains("--locked"));
    assert!(text.contains("COPY --from=build"));
    assert!(text.contains("COPY pipelines /app/pipelines") && text.contains("COPY data /app/data"));
    let rt = froms[1].split_whitespace().nth(1).unwrap();
    assert!(
        tag.ends_with(rt.split(':').nth(1).unwrap().trim_end_matches("-slim")),
        "build and runtime share a Debian release: {tag} vs {rt}"
    );

    // Highest rust-version among the packages the release binary is built from.
    let out = Command::new(std::env::var("CARGO").unwrap_or_else(|_| "cargo".into()))
        .args(["metadata", "--format-version", "1", "--locked", "--offline"])
        // Only what builds on this platform: the tests ran offline-capable builds for it, while
        // other targets' packages (e.g. dev tools' wasm deps) were never downloaded.
        .args(["--filter-platform", &host_triple()])
        .current_dir(repo())
        .output()
        .expect("cargo metadata");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let m: Value = serde_json::from_slice(&out.stdout).unwrap();
    let rust_version: BTreeMap<&str, &str> = m["packages"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|p| Some((p["id"].as_str()?, p["rust_version"].as_str()?)))
        .collect();
    let nodes: BTreeMap<&str, &Value> = m["resolve"]["nodes"]
        .as_array()
        .unwrap()
        .iter()
        .map(|n| (n["id"].as_str().unwrap(), n))
        .collect();
    let root = m["resolve"]["root"].as_str().unwrap();
    let mut seen = BTreeSet::from([root]);
    let mut todo = vec![root];
    while let Some(id) = todo.pop() {
        for dep in nodes[id]["deps"].as_array().unwrap() {
            let normal_or_build = dep["dep_kinds"]
                .as_array()
                .unwrap()
                .iter()
                .any(|k| k["kind"].is_null() || k["kind"] == "build");
            let pkg = dep["pkg"].as_str().unwrap();
            if normal_or_build && seen.insert(pkg) {
                todo.push(pkg);
            }
        }
    }
    let parse = |v: &str| -> Vec<u32> {
        let mut p: Vec<u32> = v.split('.').map(|p| p.parse().unwrap()).collect();
        p.resize(3, 0);
        p
    };
    let (needed, by) = seen
        .iter()
        .filter_map(|id| rust_version.get(id).map(|v| (parse(v), *id)))
        .max()
        .unwrap();
    assert!(
        ver >= needed,
        "Dockerfile builds with Rust {tag}, but {by} needs {needed:?}"
    );
}
