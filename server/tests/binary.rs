//! The server binary itself: its help text documents every setting, and it
//! stops cleanly on SIGTERM (finishing what it was doing).

use std::io::{BufRead, BufReader};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

const BINARY: &str = env!("CARGO_BIN_EXE_server");

#[test]
fn help_and_readme_document_every_setting() {
    let out = Command::new(BINARY).arg("--help").output().unwrap();
    assert!(out.status.success());
    let help = String::from_utf8(out.stdout).unwrap();
    let in_help: std::collections::BTreeSet<String> =
        help.split("[env: ").skip(1).map(|rest| rest.chars().take_while(|c| c.is_ascii_uppercase() || *c == '_').collect()).collect();
    for setting in ["LEPTOS_SITE_ADDR", "DATABASE_URL", "MYAPPS_PUBLIC_URL", "MYAPPS_DATA_DIR", "MYAPPS_SMTP_HOST"] {
        assert!(in_help.contains(setting), "--help documents {setting}");
    }
    // The README's configuration table lists exactly the settings there are.
    let readme = std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/../README.md")).unwrap();
    let section = readme.split("## Configuration").nth(1).expect("README has a Configuration section");
    let section = section.split("\n## ").next().unwrap();
    let in_readme: std::collections::BTreeSet<String> = section
        .lines()
        .filter_map(|line| line.strip_prefix("| `"))
        .filter_map(|rest| rest.split('`').next())
        .filter(|name| name.chars().all(|c| c.is_ascii_uppercase() || c == '_'))
        .map(str::to_string)
        .collect();
    assert_eq!(in_readme, in_help, "README's configuration table and --help list the same settings");
}

#[test]
fn bad_configuration_is_a_clear_error() {
    let out = Command::new(BINARY).args(["--listen", "not-an-address"]).output().unwrap();
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("invalid value 'not-an-address'"));
    let dir = tempfile::tempdir().unwrap();
    let out = Command::new(BINARY)
        .env("DATABASE_URL", "mysql://nope")
        .env("LEPTOS_SITE_ADDR", "127.0.0.1:0")
        .env("MYAPPS_DATA_DIR", dir.path())
        .output()
        .unwrap();
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stdout).contains("DATABASE_URL must start with sqlite: or postgres://"));

    // PostgreSQL without the key that seals second factors: refused before
    // connecting, saying what to set.
    let out = Command::new(BINARY)
        .env("DATABASE_URL", "postgres://nobody@127.0.0.1:1/none")
        .env("LEPTOS_SITE_ADDR", "127.0.0.1:0")
        .env("MYAPPS_DATA_DIR", dir.path())
        .env_remove("MYAPPS_SECRET_KEY")
        .output()
        .unwrap();
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stdout).contains("set MYAPPS_SECRET_KEY"), "{}", String::from_utf8_lossy(&out.stdout));

    // A key that is not 32 bytes of hex is a usage error that says what a key looks like.
    let out = Command::new(BINARY).env("MYAPPS_SECRET_KEY", "hunter2").arg("--help").output().unwrap();
    assert!(out.status.success(), "--help works whatever the environment holds");
    let out = Command::new(BINARY).env("MYAPPS_SECRET_KEY", "hunter2").env("MYAPPS_DATA_DIR", dir.path()).output().unwrap();
    assert!(!out.status.success());
    let output = format!("{}{}", String::from_utf8_lossy(&out.stdout), String::from_utf8_lossy(&out.stderr));
    assert!(output.contains("64 hexadecimal digits") && !output.contains("hunter2"), "{output}");
}

#[test]
fn sigterm_stops_the_server_gracefully() {
    let dir = tempfile::tempdir().unwrap();
    let mut child = Command::new(BINARY)
        .env("LEPTOS_SITE_ADDR", "127.0.0.1:0")
        .env("MYAPPS_DATA_DIR", dir.path())
        .env_remove("DATABASE_URL")
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let mut lines = BufReader::new(child.stdout.take().unwrap()).lines();
    let url = lines
        .by_ref()
        .map_while(Result::ok)
        .find_map(|l| l.split("My Apps is running at ").nth(1).map(str::to_string))
        .expect("the server says where it listens");
    let rt = tokio::runtime::Runtime::new().unwrap();
    let status = rt.block_on(async { reqwest::get(format!("{url}/healthz")).await.unwrap().status() });
    assert_eq!(status, 200);
    assert!(dir.path().join("myapps.db").exists(), "the SQLite file is created on first start");

    Command::new("kill").args(["-TERM", &child.id().to_string()]).status().unwrap();
    let deadline = Instant::now() + Duration::from_secs(10);
    let exit = loop {
        if let Some(status) = child.try_wait().unwrap() {
            break status;
        }
        assert!(Instant::now() < deadline, "the server stops within 10 s of SIGTERM");
        std::thread::sleep(Duration::from_millis(50));
    };
    assert!(exit.success(), "clean exit: {exit:?}");
}
