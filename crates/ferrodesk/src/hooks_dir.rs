//! Hook scripts from a directory (`--hooks-dir`, default `./hooks`): every `*.rhai` file, in name order,
//! loaded at start and again whenever a file there is added, changed or removed.
use hooks::{Hooks, Script, ScriptError};
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::{Duration, SystemTime};

/// The `*.rhai` files of `dir`, in name order (none when the directory does not exist).
fn script_files(dir: &Path) -> std::io::Result<Vec<PathBuf>> {
    let entries = match std::fs::read_dir(dir) {
        Ok(entries) => entries,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(Vec::new()),
        Err(e) => return Err(e),
    };
    let mut files = Vec::new();
    for entry in entries {
        let path = entry?.path();
        if path.extension().is_some_and(|e| e == "rhai") && path.is_file() {
            files.push(path);
        }
    }
    files.sort();
    Ok(files)
}

/// Compiles every script of `dir`: the ones that load, and the errors of the others (file and line).
pub fn compile_dir(hooks: &Hooks, dir: &Path) -> std::io::Result<(Vec<Script>, Vec<ScriptError>)> {
    let (mut scripts, mut errors) = (Vec::new(), Vec::new());
    for path in script_files(dir)? {
        let name = path.display().to_string();
        let source = match std::fs::read_to_string(&path) {
            Ok(source) => source,
            Err(e) => {
                errors.push(ScriptError {
                    script: name,
                    line: 0,
                    message: format!("cannot read: {e}"),
                });
                continue;
            }
        };
        match hooks.compile(&name, &source) {
            Ok(script) => scripts.push(script),
            Err(e) => errors.push(e),
        }
    }
    Ok((scripts, errors))
}

/// Loads `dir`'s scripts into `hooks`; a script that does not load is logged and left out.
pub fn load(hooks: &Hooks, dir: &Path) {
    match compile_dir(hooks, dir) {
        Ok((scripts, errors)) => {
            for e in &errors {
                tracing::warn!(script = %e.script, line = e.line, error = %e.message, "hook script not loaded");
            }
            tracing::info!(dir = %dir.display(), scripts = scripts.len(), "hook scripts loaded");
            hooks.replace(scripts);
        }
        Err(e) => tracing::warn!(dir = %dir.display(), error = %e, "cannot read the hooks directory"),
    }
}

/// What the directory holds: each script's path, modification time and size.
fn signature(dir: &Path) -> Vec<(PathBuf, Option<SystemTime>, u64)> {
    script_files(dir)
        .unwrap_or_default()
        .into_iter()
        .map(|path| {
            let meta = std::fs::metadata(&path).ok();
            let modified = meta.as_ref().and_then(|m| m.modified().ok());
            let len = meta.map_or(0, |m| m.len());
            (path, modified, len)
        })
        .collect()
}

/// Loads `dir` now, then reloads it within a second of any change, until the task is aborted.
pub(crate) fn watch(hooks: Arc<Hooks>, dir: PathBuf) -> tokio::task::JoinHandle<()> {
    load(&hooks, &dir);
    tokio::spawn(async move {
        let mut seen = signature(&dir);
        loop {
            tokio::time::sleep(Duration::from_secs(1)).await;
            let now = signature(&dir);
            if now != seen {
                seen = now;
                let (hooks, dir) = (Arc::clone(&hooks), dir.clone());
                let _ = tokio::task::spawn_blocking(move || load(&hooks, &dir)).await;
            }
        }
    })
}

/// Loads the scripts stored in the database now, then reloads them within a second of any change made
/// through any node, until the task is aborted.
pub(crate) async fn watch_stored(app: app::App) -> tokio::task::JoinHandle<()> {
    if let Err(e) = app.reload_stored_hooks().await {
        tracing::warn!(error = %e, "cannot load the stored hook scripts");
    }
    tokio::spawn(async move {
        let mut seen = app.stored_hooks_revision().await.ok();
        loop {
            tokio::time::sleep(Duration::from_secs(1)).await;
            let now = match app.stored_hooks_revision().await {
                Ok(now) => Some(now),
                Err(e) => {
                    tracing::warn!(error = %e, "cannot read the stored hook scripts");
                    continue;
                }
            };
            if now != seen {
                seen = now;
                if let Err(e) = app.reload_stored_hooks().await {
                    tracing::warn!(error = %e, "cannot reload the stored hook scripts");
                }
            }
        }
    })
}
