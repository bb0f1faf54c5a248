//! Invalid settings are refused at start, quickly, with a message naming the
//! setting, before anything is created in the data dir.

use std::{process::Stdio, time::Duration};

use tokio::process::Command;

/// Run the binary with `IMGQL_DATA_DIR` a fresh temp dir plus `vars`; returns
/// (exit code, stderr) and whether the data dir stayed free of a database.
async fn run_with(vars: &[(&str, &str)]) -> (Option<i32>, String, bool) {
    let dir = tempfile::tempdir().expect("temp dir");
    let mut command = Command::new(env!("CARGO_BIN_EXE_imgql"));
    command
        .env_clear()
        .env("IMGQL_BIND", "127.0.0.1:0")
        .env("IMGQL_DATA_DIR", dir.path())
        .env("NO_COLOR", "1")
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .kill_on_drop(true);
    for (name, value) in vars {
        command.env(name, value);
    }
    let child = command.spawn().expect("start the binary");
    let output = tokio::time::timeout(Duration::from_secs(10), child.wait_with_output())
        .await
        .unwrap_or_else(|_| panic!("{vars:?}: still running after 10 s (the value was accepted)"))
        .expect("wait");
    let untouched = !dir.path().join("imgql.db").exists();
    (
        output.status.code(),
        String::from_utf8_lossy(&output.stderr).into_owned(),
        untouched,
    )
}

/// Assert the binary refuses `vars` with an error naming `named`.
async fn assert_refused(vars: &[(&str, &str)], named: &[&str]) {
    let (code, stderr, untouched) = run_with(vars).await;
    assert!(
        matches!(code, Some(c) if c != 0),
        "{vars:?}: exit {code:?}, stderr {stderr}"
    );
    for name in named {
        assert!(
            stderr.contains(name),
            "{vars:?}: stderr should name {name}: {stderr}"
        );
    }
    assert!(untouched, "{vars:?}: no database was created");
}

#[tokio::test]
async fn values_checked_after_parsing_are_refused_naming_the_variable() {
    let secret = "s".repeat(32);
    for (vars, named) in [
        (
            vec![("IMGQL_JWT_SECRET", "short")],
            "IMGQL_JWT_SECRET must be at least 32 bytes",
        ),
        (vec![("IMGQL_TOKEN_TTL", "0")], "IMGQL_TOKEN_TTL"),
        (vec![("IMGQL_BUS_CAPACITY", "0")], "IMGQL_BUS_CAPACITY"),
        (
            vec![("IMGQL_HASH_CONCURRENCY", "0")],
            "IMGQL_HASH_CONCURRENCY",
        ),
        (vec![("IMGQL_HEADER_TIMEOUT", "0")], "IMGQL_HEADER_TIMEOUT"),
        (
            vec![("IMGQL_MAX_BODY_BYTES", "1023")],
            "IMGQL_MAX_BODY_BYTES",
        ),
        (
            vec![("IMGQL_MAX_MESSAGE_BYTES", "1000")],
            "IMGQL_MAX_MESSAGE_BYTES",
        ),
        (vec![("IMGQL_PUBLIC_URL", "ftp://x")], "IMGQL_PUBLIC_URL"),
        (
            vec![("IMGQL_SEND_RATE_PER_SECOND", "10001")],
            "IMGQL_SEND_RATE_PER_SECOND",
        ),
        (
            vec![("IMGQL_TRUSTED_PROXY_HEADER", "not a header")],
            "IMGQL_TRUSTED_PROXY_HEADER",
        ),
        (vec![("DATABASE_URL", "mysql://x/y")], "DATABASE_URL"),
    ] {
        // A good secret unless the secret is the case, so that one error is seen at a time.
        let mut vars = vars;
        if vars[0].0 != "IMGQL_JWT_SECRET" {
            vars.push(("IMGQL_JWT_SECRET", secret.as_str()));
        }
        assert_refused(&vars, &[named]).await;
    }
}

#[tokio::test]
async fn values_that_do_not_parse_are_refused_naming_the_flag_and_value() {
    for (var, value, flag) in [
        ("IMGQL_SQLITE_SYNC", "sometimes", "--sqlite-sync"),
        ("IMGQL_TOKEN_TTL", "a week", "--token-ttl"),
        ("IMGQL_BUS_CAPACITY", "-1", "--bus-capacity"),
        ("IMGQL_BIND", "nowhere", "--bind"),
    ] {
        assert_refused(&[(var, value)], &[flag, value]).await;
    }
}

#[tokio::test]
async fn a_valid_configuration_is_not_refused() {
    // The control for the cases above: good values of the same settings pass
    // the check (`migrate` runs it, creates the database and exits).
    let dir = tempfile::tempdir().expect("temp dir");
    let output = tokio::time::timeout(
        Duration::from_secs(60),
        Command::new(env!("CARGO_BIN_EXE_imgql"))
            .arg("migrate")
            .env_clear()
            .env("IMGQL_DATA_DIR", dir.path())
            .env("IMGQL_JWT_SECRET", "s".repeat(32))
            .env("IMGQL_TOKEN_TTL", "60")
            .env("IMGQL_BUS_CAPACITY", "1")
            .env("IMGQL_SQLITE_SYNC", "full")
            .env("NO_COLOR", "1")
            .kill_on_drop(true)
            .output(),
    )
    .await
    .expect("migrate finishes")
    .expect("run");
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    assert!(dir.path().join("imgql.db").exists());
}
