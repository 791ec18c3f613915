//! A real IMAP server for tests: Debian's dovecot, configured into a temporary directory and started by the
//! test itself (`dovecot -F -c <conf>` as a child process), stopped when the handle drops.
//!
//! - Installed with `apt-get install -y dovecot-imapd` when `/usr/sbin/dovecot` is absent and the tests run as
//!   root (as CI does); `apt-get update` first only when the install fails for lack of package lists.
//! - Everything lives in the temporary directory: the configuration, `base_dir`, `state_dir`, the log, the
//!   passwd-file with the one test user, and the user's maildir.
//! - `imap` (with STARTTLS) and `imaps` listen on free ports of 127.0.0.1, with the certificate the test
//!   passes (see certs.rs).
//! - Dovecot runs entirely as one unprivileged user: the invoking user, or `dovenull` when the tests run as
//!   root (dovecot would not let a mail user be root, and an unprivileged master needs every service to run as
//!   its own user, without chroot).
//!
//! Self-contained so that other test binaries can include it: `#[path = "…/mail_servers/dovecot.rs"] mod
//! dovecot;` (needs `tempfile`).
#![allow(dead_code)]

use std::{
    fs,
    io::Read,
    net::{TcpListener, TcpStream},
    os::unix::{
        fs::{MetadataExt, PermissionsExt},
        process::CommandExt,
    },
    path::{Path, PathBuf},
    process::{Child, Command, Stdio},
    sync::Mutex,
    thread,
    time::{Duration, Instant},
};

pub(crate) const DOVECOT: &str = "/usr/sbin/dovecot";

/// The test user and password. The password has a space, an `@` and a `/` so URLs must encode it; it has no
/// `:`, the passwd-file's separator.
pub(crate) const USER: &str = "agent";
pub(crate) const PASSWORD: &str = "s3cret p@ss/word";

/// The longest dovecot may take to answer on its port after it was started.
const STARTUP: Duration = Duration::from_secs(30);

#[derive(Clone, Debug, Default)]
pub(crate) struct DovecotOptions {
    /// Replaces the CAPABILITY answered after login (`imap_capability`), to play a server without, say, MOVE
    /// or IDLE.
    pub(crate) capabilities: Option<String>,
}

pub(crate) struct Dovecot {
    dir: tempfile::TempDir,
    conf: PathBuf,
    run_as: RunAs,
    child: Option<Child>,
    pub(crate) imap_port: u16,
    pub(crate) imaps_port: u16,
}

/// The unprivileged user dovecot runs as.
struct RunAs {
    name: String,
    /// The name of the user's primary group (not always the user's name: `nobody` is in `nogroup`).
    group: String,
    uid: u32,
    gid: u32,
    /// Whether the tests run as root, so the child must drop to `uid`/`gid`.
    drop_privileges: bool,
}

impl Dovecot {
    pub(crate) fn start(cert_pem: &str, key_pem: &str) -> Dovecot {
        Dovecot::start_with(cert_pem, key_pem, &DovecotOptions::default())
    }

    pub(crate) fn start_with(cert_pem: &str, key_pem: &str, options: &DovecotOptions) -> Dovecot {
        ensure_installed();
        let dir = tempfile::Builder::new()
            .prefix("ferrodesk-dovecot.")
            .tempdir()
            .expect("a temporary directory");
        let run_as = RunAs::pick(dir.path());
        let root = dir.path();
        fs::create_dir_all(root.join("home")).expect("the mail home");
        fs::write(root.join("cert.pem"), cert_pem).expect("the certificate");
        fs::write(root.join("key.pem"), key_pem).expect("the key");
        fs::set_permissions(root.join("key.pem"), fs::Permissions::from_mode(0o600)).expect("the key's mode");
        fs::write(
            root.join("passwd"),
            format!(
                "{USER}:{{PLAIN}}{PASSWORD}:{}:{}::{}::\n",
                run_as.uid,
                run_as.gid,
                root.join("home").display()
            ),
        )
        .expect("the passwd-file");
        let (imap_port, imaps_port) = (free_port(), free_port());
        let conf = root.join("dovecot.conf");
        fs::write(&conf, config(root, &run_as, imap_port, imaps_port, options)).expect("the configuration");
        if run_as.drop_privileges {
            chown_all(root, run_as.uid, run_as.gid);
        }

        let mut dovecot = Dovecot {
            dir,
            conf,
            run_as,
            child: None,
            imap_port,
            imaps_port,
        };
        dovecot.start_again();
        dovecot
    }

    /// Starts the stopped server again on the same ports, with the same mail: a server coming back.
    pub(crate) fn start_again(&mut self) {
        assert!(self.child.is_none(), "dovecot is running");
        // Appended to, so the log of the earlier run stays readable.
        let log = |name: &str| {
            fs::OpenOptions::new()
                .create(true)
                .append(true)
                .open(self.dir.path().join(name))
                .expect("a log file")
        };
        let mut command = Command::new(DOVECOT);
        command
            .arg("-F")
            .arg("-c")
            .arg(&self.conf)
            .stdin(Stdio::null())
            .stdout(log("stdout.log"))
            .stderr(log("stderr.log"))
            // Its own process group, so that stopping it can end every process it started (see `stop`).
            .process_group(0);
        if self.run_as.drop_privileges {
            // std drops root's supplementary groups when it changes the user.
            command.uid(self.run_as.uid).gid(self.run_as.gid);
        }
        self.child = Some(command.spawn().expect("dovecot starts"));
        self.wait_until_ready();
    }

    /// `imap://agent:…@127.0.0.1:PORT/FOLDER` (STARTTLS).
    pub(crate) fn imap_url(&self, folder: &str) -> String {
        self.url("imap", self.imap_port, PASSWORD, folder)
    }

    /// `imaps://agent:…@127.0.0.1:PORT/FOLDER`.
    pub(crate) fn imaps_url(&self, folder: &str) -> String {
        self.url("imaps", self.imaps_port, PASSWORD, folder)
    }

    /// An imaps URL with another password.
    pub(crate) fn imaps_url_with_password(&self, password: &str, folder: &str) -> String {
        self.url("imaps", self.imaps_port, password, folder)
    }

    fn url(&self, scheme: &str, port: u16, password: &str, folder: &str) -> String {
        format!(
            "{scheme}://{USER}:{}@127.0.0.1:{port}/{}",
            encode(password),
            encode(folder)
        )
    }

    /// Dovecot's log so far.
    pub(crate) fn log(&self) -> String {
        let read = |name: &str| fs::read_to_string(self.dir.path().join(name)).unwrap_or_default();
        format!("{}{}{}", read("dovecot.log"), read("stdout.log"), read("stderr.log"))
    }

    /// Stops dovecot as a crashed or restarted server would go: `dovecot stop` ends the master, then every
    /// process left in its process group is killed (the master leaves the imap processes of open sessions
    /// running until their clients leave), so open connections break.
    pub(crate) fn stop(&mut self) {
        let Some(mut child) = self.child.take() else { return };
        let group = child.id();
        self.stop_master(&mut child);
        // `kill -KILL -- -GROUP`: the group is the one dovecot's master was started in, and no one else's.
        let _ = Command::new("kill")
            .args(["-s", "KILL", "--", &format!("-{group}")])
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .status();
    }

    fn stop_master(&self, child: &mut Child) {
        let _ = Command::new(DOVECOT)
            .arg("-c")
            .arg(&self.conf)
            .arg("stop")
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .status();
        let deadline = Instant::now() + Duration::from_secs(10);
        while Instant::now() < deadline {
            if let Ok(Some(_)) = child.try_wait() {
                return;
            }
            thread::sleep(Duration::from_millis(20));
        }
        let _ = child.kill();
        let _ = child.wait();
    }

    fn wait_until_ready(&mut self) {
        let deadline = Instant::now() + STARTUP;
        loop {
            if let Some(child) = &mut self.child
                && let Ok(Some(status)) = child.try_wait()
            {
                panic!("dovecot exited at start ({status}):\n{}", self.log());
            }
            if greets(self.imap_port) && TcpStream::connect(("127.0.0.1", self.imaps_port)).is_ok() {
                return;
            }
            if Instant::now() > deadline {
                let log = self.log();
                self.stop();
                panic!("dovecot did not listen within {STARTUP:?}:\n{log}");
            }
            thread::sleep(Duration::from_millis(25));
        }
    }
}

impl Drop for Dovecot {
    fn drop(&mut self) {
        self.stop();
    }
}

/// Whether dovecot greets on its plain port (`* OK`): the master has opened its listeners and a login
/// process answers.
fn greets(port: u16) -> bool {
    let Ok(mut stream) = TcpStream::connect(("127.0.0.1", port)) else {
        return false;
    };
    let _ = stream.set_read_timeout(Some(Duration::from_secs(2)));
    let mut first = [0_u8; 4];
    stream.read_exact(&mut first).is_ok() && &first == b"* OK"
}

fn config(root: &Path, run_as: &RunAs, imap_port: u16, imaps_port: u16, options: &DovecotOptions) -> String {
    let root = root.display();
    let user = &run_as.name;
    let group = &run_as.group;
    let uid = run_as.uid;
    let capabilities = match &options.capabilities {
        Some(capabilities) => format!("imap_capability = {capabilities}\n"),
        None => String::new(),
    };
    format!(
        r#"# Written by the ferrodesk tests (crates/integrations/tests/mail_servers/dovecot.rs).
base_dir = {root}/run
state_dir = {root}/state
log_path = {root}/dovecot.log
info_log_path = {root}/dovecot.log
listen = 127.0.0.1
protocols = imap
# One unprivileged user for everything: the master, the login processes and the mail user.
default_internal_user = {user}
default_internal_group = {group}
default_login_user = {user}
first_valid_uid = {uid}
last_valid_uid = {uid}
ssl = yes
ssl_cert = <{root}/cert.pem
ssl_key = <{root}/key.pem
# LOGIN before STARTTLS is the client's choice; ferrodesk's client upgrades first when it can.
disable_plaintext_auth = no
auth_mechanisms = plain login
# A wrong password is answered at once (the default waits 2 s).
auth_failure_delay = 0
passdb {{
  driver = passwd-file
  args = scheme=PLAIN {root}/passwd
}}
userdb {{
  driver = passwd-file
  args = {root}/passwd
}}
mail_location = maildir:{root}/home/Maildir
namespace inbox {{
  inbox = yes
  separator = /
}}
# IDLE notices new mail through inotify; this bounds the wait where inotify is not available.
mailbox_idle_check_interval = 1 secs
{capabilities}service imap-login {{
  chroot =
  inet_listener imap {{
    address = 127.0.0.1
    port = {imap_port}
  }}
  inet_listener imaps {{
    address = 127.0.0.1
    port = {imaps_port}
    ssl = yes
  }}
}}
service anvil {{
  chroot =
}}
"#
    )
}

impl RunAs {
    fn pick(dir: &Path) -> RunAs {
        // The directory was just made by this process: its owner is the effective user.
        let metadata = fs::metadata(dir).expect("the temporary directory's owner");
        if metadata.uid() != 0 {
            return RunAs {
                name: id(&["-un"]),
                group: id(&["-gn"]),
                uid: metadata.uid(),
                gid: metadata.gid(),
                drop_privileges: false,
            };
        }
        // dovecot-core's own unprivileged user, made when the package is installed.
        let name = "dovenull".to_owned();
        let number = |flag: &str| id(&[flag, &name]).parse::<u32>().expect("a numeric id");
        RunAs {
            uid: number("-u"),
            gid: number("-g"),
            group: id(&["-gn", &name]),
            name,
            drop_privileges: true,
        }
    }
}

fn id(arguments: &[&str]) -> String {
    let output = Command::new("id").args(arguments).output().expect("id runs");
    assert!(
        output.status.success(),
        "id {arguments:?}: {}",
        String::from_utf8_lossy(&output.stderr)
    );
    String::from_utf8_lossy(&output.stdout).trim().to_owned()
}

fn chown_all(path: &Path, uid: u32, gid: u32) {
    std::os::unix::fs::chown(path, Some(uid), Some(gid)).expect("chown");
    if path.is_dir() {
        for entry in fs::read_dir(path).expect("the directory") {
            chown_all(&entry.expect("an entry").path(), uid, gid);
        }
    }
}

/// Installs dovecot-imapd when it is missing, once per test binary even when tests start together.
fn ensure_installed() {
    static INSTALL: Mutex<()> = Mutex::new(());
    let _once = INSTALL.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
    if Path::new(DOVECOT).exists() && Path::new("/usr/lib/dovecot/imap").exists() {
        return;
    }
    let probe = tempfile::tempdir().expect("a temporary directory");
    let root = fs::metadata(probe.path())
        .map(|metadata| metadata.uid() == 0)
        .unwrap_or(false);
    assert!(
        root,
        "the IMAP tests need dovecot: install it with `sudo apt-get install dovecot-imapd` (as root the tests install it)"
    );
    let install = || {
        Command::new("apt-get")
            .args(["install", "-y", "-q", "dovecot-imapd"])
            .env("DEBIAN_FRONTEND", "noninteractive")
            .stdout(Stdio::null())
            .status()
            .is_ok_and(|status| status.success())
    };
    if !install() {
        let updated = Command::new("apt-get")
            .args(["update", "-q"])
            .stdout(Stdio::null())
            .status();
        assert!(updated.is_ok_and(|status| status.success()), "apt-get update failed");
        assert!(install(), "apt-get install dovecot-imapd failed");
    }
}

fn free_port() -> u16 {
    let listener = TcpListener::bind("127.0.0.1:0").expect("a free loopback port");
    listener.local_addr().expect("its address").port()
}

/// Percent-encodes everything but unreserved characters, for a password or folder in a URL.
fn encode(text: &str) -> String {
    text.bytes()
        .map(|byte| match byte {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'.' | b'_' | b'~' => (byte as char).to_string(),
            _ => format!("%{byte:02X}"),
        })
        .collect()
}
