//! The workspace's binaries for the tests that drive them as real processes: [`binary`]
//! finds one, [`factory`] is the `factory` command with its store and objects inside a
//! temporary home, and [`Server`] a running `factory serve`. A test crate may add its own
//! methods to [`Server`] through an extension trait.

use std::io::{BufRead, BufReader};
use std::net::TcpListener;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, ExitStatus, Stdio};
use std::sync::mpsc::{self, RecvTimeoutError};
use std::time::{Duration, Instant};

const LISTENING: &str = "AI Content Factory listening on ";

/// Where cargo put a workspace binary (`target/debug/NAME`): beside the running test's own
/// directory (`target/debug/deps`).
pub fn binary(name: &str) -> PathBuf {
    let exe = std::env::current_exe().expect("the test knows its own path");
    let dir = exe
        .parent()
        .and_then(Path::parent)
        .expect("a test binary lives in target/<profile>/deps");
    let path = dir.join(name);
    assert!(
        path.exists(),
        "{} is missing: build the binaries first (`cargo build --workspace --bins`)",
        path.display()
    );
    path
}

/// `factory` with its store and objects inside `home`.
pub fn factory(home: &Path) -> Command {
    let mut command = Command::new(binary("factory"));
    command
        .current_dir(home)
        .env(
            "FACTORY_STORE",
            format!("sqlite:{}", home.join("state/factory.db").display()),
        )
        .env(
            "FACTORY_OBJECTS",
            format!("dir:{}", home.join("state/objects").display()),
        )
        .env_remove("RUST_LOG");
    command
}

/// `factory keys create --tenant TENANT EXTRA...`: the printed key.
pub fn create_key(home: &Path, tenant: &str, extra: &[&str]) -> String {
    let output = factory(home)
        .args(["keys", "create", "--tenant", tenant])
        .args(extra)
        .stdin(Stdio::null())
        .output()
        .expect("factory runs");
    assert!(
        output.status.success(),
        "keys create: {}",
        String::from_utf8_lossy(&output.stderr)
    );
    let key = String::from_utf8(output.stdout).unwrap().trim().to_owned();
    assert!(
        key.starts_with("acf_") && !key.contains(char::is_whitespace),
        "the key alone on stdout: {key:?}"
    );
    key
}

/// A port that was free a moment ago.
pub fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

/// A running `factory serve`, killed when dropped (also when a test panics).
#[derive(Debug)]
pub struct Server {
    child: Child,
    /// `http://127.0.0.1:PORT`.
    pub base: String,
    log: PathBuf,
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl Server {
    /// Starts `factory serve` on a free port with `env` added and waits until it listens.
    /// Blocks the calling thread (from async code, call it through
    /// `tokio::task::block_in_place`).
    pub fn start(home: &Path, env: &[(&str, &str)]) -> Self {
        for attempt in 1..=3 {
            let port = free_port();
            let log = home.join(format!("serve-{port}.log"));
            let mut child = factory(home)
                .args(["serve", "--host", "127.0.0.1", "--port", &port.to_string()])
                .envs(env.iter().copied())
                .stdin(Stdio::null())
                .stdout(Stdio::piped())
                .stderr(std::fs::File::create(&log).unwrap())
                .spawn()
                .expect("factory serve starts");
            let stdout = child.stdout.take().unwrap();
            let mut server = Self {
                child,
                base: String::new(),
                log,
            };
            let (lines, rx) = mpsc::channel();
            std::thread::spawn(move || {
                // Keeps draining stdout after the test stopped listening.
                for line in BufReader::new(stdout).lines().map_while(Result::ok) {
                    let _ = lines.send(line);
                }
            });
            let deadline = Instant::now() + Duration::from_secs(30);
            loop {
                match rx.recv_timeout(deadline.saturating_duration_since(Instant::now())) {
                    Ok(line) => {
                        if let Some(base) = line.strip_prefix(LISTENING) {
                            base.trim().clone_into(&mut server.base);
                            return server;
                        }
                    }
                    // It exited, most likely because another process took the port.
                    Err(RecvTimeoutError::Disconnected) => break,
                    Err(RecvTimeoutError::Timeout) => {
                        panic!("serve did not listen within 30 s:\n{}", server.log_text());
                    }
                }
            }
            assert!(attempt < 3, "serve never started:\n{}", server.log_text());
        }
        unreachable!("the loop returns or panics")
    }

    /// `127.0.0.1:PORT`.
    pub fn addr(&self) -> &str {
        self.base.trim_start_matches("http://")
    }

    /// Kills the process at once: SIGKILL, no cleanup of any kind.
    pub fn kill(&mut self) {
        self.child.kill().unwrap();
        self.child.wait().unwrap();
    }

    /// Asks the process to stop (SIGTERM, as Cloud Run does) and waits for it.
    pub fn terminate(&mut self) -> ExitStatus {
        let status = Command::new("kill")
            .args(["-TERM", &self.child.id().to_string()])
            .status()
            .unwrap();
        assert!(status.success());
        self.child.wait().unwrap()
    }

    pub fn log_text(&self) -> String {
        std::fs::read_to_string(&self.log).unwrap_or_default()
    }
}
