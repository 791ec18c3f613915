//! Compiled scripts, the hooks they registered by hook point, and running them.
use crate::engine::{self, Limits, Registration};
use domain::HookPoint;
use domain::hook::HookKind;
use rhai::{AST, Dynamic, Engine, FnPtr, Map};
use std::collections::HashMap;
use std::sync::{Arc, RwLock};

/// Why a script cannot be loaded: its name, the line, the reason.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{script}:{line}: {message}")]
pub struct ScriptError {
    pub script: String,
    pub line: usize,
    pub message: String,
}

/// A hook whose run failed (it threw, exceeded a limit or returned what its kind does not take): reported,
/// never breaking the request or the other hooks.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Failure {
    pub script: String,
    pub point: HookPoint,
    pub line: usize,
    pub message: String,
}

/// A validation hook refused the write: its message (the problem's `detail`) and who said it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Rejection {
    pub message: String,
    pub script: String,
}

/// One event hook's run: which script, where, how long, and its error if it failed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EventRun {
    pub script: String,
    pub point: HookPoint,
    pub line: usize,
    pub error: Option<String>,
    pub duration: std::time::Duration,
}

/// What the view hooks of a slot produced: their HTML in priority order, and the failures.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ViewOutput {
    pub html: String,
    pub failures: Vec<Failure>,
}

/// A compiled script with the hooks its top level registered.
pub struct Script {
    name: String,
    ast: AST,
    hooks: Vec<(HookPoint, i64, FnPtr, usize)>,
}

impl Script {
    pub fn name(&self) -> &str {
        &self.name
    }

    /// The hook points it registered, in registration order, with their priorities.
    pub fn registrations(&self) -> Vec<(HookPoint, i64)> {
        self.hooks.iter().map(|(p, prio, _, _)| (*p, *prio)).collect()
    }
}

impl std::fmt::Debug for Script {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Script")
            .field("name", &self.name)
            .field("hooks", &self.registrations())
            .finish()
    }
}

/// One hook to run: which script, which of its registrations.
#[derive(Clone, Copy)]
struct Entry {
    script: usize,
    hook: usize,
    priority: i64,
}

/// The loaded scripts, their hooks by point in the order they run.
#[derive(Default)]
struct Registry {
    scripts: Vec<Arc<Script>>,
    by_point: HashMap<HookPoint, Vec<Entry>>,
}

impl Registry {
    fn new(scripts: Vec<Arc<Script>>) -> Self {
        let mut by_point: HashMap<HookPoint, Vec<Entry>> = HashMap::new();
        for (s, script) in scripts.iter().enumerate() {
            for (h, (point, priority, _, _)) in script.hooks.iter().enumerate() {
                by_point.entry(*point).or_default().push(Entry {
                    script: s,
                    hook: h,
                    priority: *priority,
                });
            }
        }
        // Lower priority numbers first; ties in the order the scripts were given, then registered.
        for entries in by_point.values_mut() {
            entries.sort_by_key(|e| (e.priority, e.script, e.hook));
        }
        Self { scripts, by_point }
    }
}

/// One hook of a script run on its own (`POST /api/v1/hooks/{id}/test`): what it gave.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct TrialRun {
    pub hook: String,
    pub priority: i64,
    /// `view`, `validation` or `event`.
    pub kind: String,
    /// A view hook's HTML; a validation hook's `error` message (it would refuse the write).
    pub output: Option<String>,
    /// Whether a validation hook would refuse the write.
    pub rejected: bool,
    /// The run's error (it threw, exceeded a limit, returned what its kind does not take).
    pub error: Option<String>,
    pub line: usize,
    pub duration_us: u64,
}

/// Where scripts come from: each source's scripts are replaced whole, and run together.
#[derive(Default)]
struct Sources {
    directory: Vec<Arc<Script>>,
    stored: Vec<Arc<Script>>,
}

/// The hook engine and the scripts it runs. Cheap to share (`Arc`); the scripts of a source (the hooks
/// directory, the database) are replaced whole.
pub struct Hooks {
    engine: Engine,
    limits: Limits,
    sources: std::sync::Mutex<Sources>,
    registry: RwLock<Arc<Registry>>,
}

impl Default for Hooks {
    fn default() -> Self {
        Self::new(Limits::default())
    }
}

impl Hooks {
    pub fn new(limits: Limits) -> Self {
        Self {
            engine: engine::engine(&limits),
            limits,
            sources: std::sync::Mutex::new(Sources::default()),
            registry: RwLock::new(Arc::new(Registry::default())),
        }
    }

    /// Compiles `source` and runs its top level, which registers its hooks. A syntax error, an unknown hook
    /// point, a top level that throws or exceeds a limit: the script's name, line and reason.
    pub fn compile(&self, name: &str, source: &str) -> Result<Script, ScriptError> {
        let error = |line: usize, message: String| ScriptError {
            script: name.to_owned(),
            line,
            message,
        };
        let ast = self
            .engine
            .compile(source)
            .map_err(|e| error(e.position().line().unwrap_or(0), e.to_string()))?;
        let (ran, registrations) =
            engine::collecting(|| engine::within(self.limits.max_time, || self.engine.eval_ast::<Dynamic>(&ast)));
        if let Err(e) = ran {
            let (message, line) = engine::describe(&e);
            return Err(error(line, message));
        }
        Ok(Script {
            name: name.to_owned(),
            ast,
            hooks: registrations
                .into_iter()
                .map(
                    |Registration {
                         point,
                         priority,
                         function,
                         line,
                     }| (point, priority, function, line),
                )
                .collect(),
        })
    }

    /// Replaces the scripts of the hooks directory: `scripts` in the order their equal priorities run.
    pub fn replace(&self, scripts: Vec<Script>) {
        self.replace_source(|sources| sources.directory = scripts.into_iter().map(Arc::new).collect());
    }

    /// Replaces the scripts stored in the database (they run after the directory's at equal priority).
    pub fn replace_stored(&self, scripts: Vec<Script>) {
        self.replace_source(|sources| sources.stored = scripts.into_iter().map(Arc::new).collect());
    }

    fn replace_source(&self, change: impl FnOnce(&mut Sources)) {
        let Ok(mut sources) = self.sources.lock() else {
            return;
        };
        change(&mut sources);
        let all = sources.directory.iter().chain(&sources.stored).cloned().collect();
        let registry = Registry::new(all);
        if let Ok(mut slot) = self.registry.write() {
            *slot = Arc::new(registry);
        }
    }

    /// Runs every hook `script` registered, each with the parameters `params_for` gives its point, and
    /// reports what each gave; nothing is kept.
    pub fn trial(&self, script: &Script, params_for: impl Fn(HookPoint) -> serde_json::Value) -> Vec<TrialRun> {
        script
            .hooks
            .iter()
            .enumerate()
            .map(|(i, (point, priority, _, line))| {
                let started = std::time::Instant::now();
                let mut run = TrialRun {
                    hook: point.as_str().to_owned(),
                    priority: *priority,
                    kind: match point.kind() {
                        HookKind::View => "view",
                        HookKind::Validation => "validation",
                        HookKind::Event => "event",
                    }
                    .to_owned(),
                    output: None,
                    rejected: false,
                    error: None,
                    line: *line,
                    duration_us: 0,
                };
                let arg = rhai::serde::to_dynamic(params_for(*point)).unwrap_or_default();
                match self.call(script, i, &arg) {
                    Ok(value) if value.is_unit() => {}
                    Ok(value) => match point.kind() {
                        HookKind::View if value.is_string() => run.output = Some(value.to_string()),
                        HookKind::View => run.error = Some("a view hook returns a string of HTML (or nothing)".into()),
                        HookKind::Validation => match value.try_cast::<Map>() {
                            Some(map) => {
                                if let Some(message) = map.get("error") {
                                    run.rejected = true;
                                    run.output = Some(message.to_string());
                                }
                            }
                            None => {
                                run.error = Some("a validation hook returns nothing, or #{error: \"message\"}".into())
                            }
                        },
                        HookKind::Event => {}
                    },
                    Err((message, at)) => {
                        run.error = Some(message);
                        run.line = at;
                    }
                }
                run.duration_us = u64::try_from(started.elapsed().as_micros()).unwrap_or(u64::MAX);
                run
            })
            .collect()
    }

    fn current(&self) -> Arc<Registry> {
        self.registry.read().map(|r| Arc::clone(&r)).unwrap_or_default()
    }

    /// Whether any hook is registered for `point` (callers skip building parameters otherwise).
    pub fn has(&self, point: HookPoint) -> bool {
        self.current().by_point.get(&point).is_some_and(|e| !e.is_empty())
    }

    /// Calls hook `hook` of `script` with `arg` under the run limits: its value, or its error and line (the
    /// hook's own line when Rhai gives none).
    fn call(&self, script: &Script, hook: usize, arg: &Dynamic) -> Result<Dynamic, (String, usize)> {
        let (_, _, function, line) = &script.hooks[hook];
        engine::within(self.limits.max_time, || {
            function.call::<Dynamic>(&self.engine, &script.ast, (arg.clone(),))
        })
        .map_err(|e| {
            let (message, at) = engine::describe(&e);
            (message, if at == 0 { *line } else { at })
        })
    }

    /// Runs the hooks of `point` in order with `params`, handing each result to `take` (which says whether
    /// to go on); failures are collected.
    fn run(
        &self,
        point: HookPoint,
        params: &serde_json::Value,
        mut take: impl FnMut(&Script, usize, Dynamic) -> Result<bool, String>,
    ) -> Vec<Failure> {
        let registry = self.current();
        let Some(entries) = registry.by_point.get(&point) else {
            return Vec::new();
        };
        let mut failures = Vec::new();
        let Ok(arg) = rhai::serde::to_dynamic(params) else {
            return failures;
        };
        for entry in entries {
            let script = &registry.scripts[entry.script];
            let line = script.hooks[entry.hook].3;
            let fail = |line: usize, message: String| Failure {
                script: script.name.clone(),
                point,
                line,
                message,
            };
            match self.call(script, entry.hook, &arg) {
                Ok(value) => match take(script, line, value) {
                    Ok(true) => {}
                    Ok(false) => break,
                    Err(message) => failures.push(fail(line, message)),
                },
                Err((message, at)) => failures.push(fail(at, message)),
            }
        }
        failures
    }

    /// Runs the validation hooks of `point`: the first that returns `#{error: msg}` rejects the write (the
    /// rest do not run). A failing hook does not reject (it is reported).
    pub fn validate(&self, point: HookPoint, params: &serde_json::Value) -> (Option<Rejection>, Vec<Failure>) {
        debug_assert_eq!(point.kind(), HookKind::Validation);
        let mut rejection = None;
        let failures = self.run(point, params, |script, _, value| {
            if value.is_unit() {
                return Ok(true);
            }
            let Some(map) = value.try_cast::<Map>() else {
                return Err("a validation hook returns nothing, or #{error: \"message\"}".into());
            };
            match map.get("error") {
                Some(message) => {
                    let message = message.to_string();
                    rejection = Some(Rejection {
                        message: if message.trim().is_empty() {
                            "rejected by a hook".into()
                        } else {
                            message
                        },
                        script: script.name.clone(),
                    });
                    Ok(false)
                }
                None => Ok(true),
            }
        });
        (rejection, failures)
    }

    /// Runs the view hooks of a slot and joins their HTML in priority order (not sanitised here).
    pub fn view(&self, point: HookPoint, params: &serde_json::Value) -> ViewOutput {
        let mut html = String::new();
        let failures = self.run(point, params, |_, _, value| {
            if value.is_unit() {
                return Ok(true);
            }
            if value.is_string() {
                html.push_str(&value.to_string());
                return Ok(true);
            }
            Err("a view hook returns a string of HTML (or nothing)".into())
        });
        ViewOutput { html, failures }
    }

    /// Runs the event hooks of `point` (what they return is ignored): one record per hook that ran.
    pub fn event(&self, point: HookPoint, params: &serde_json::Value) -> Vec<EventRun> {
        let registry = self.current();
        let Some(entries) = registry.by_point.get(&point) else {
            return Vec::new();
        };
        let Ok(arg) = rhai::serde::to_dynamic(params) else {
            return Vec::new();
        };
        entries
            .iter()
            .map(|entry| {
                let script = &registry.scripts[entry.script];
                let started = std::time::Instant::now();
                let (line, error) = match self.call(script, entry.hook, &arg) {
                    Ok(_) => (script.hooks[entry.hook].3, None),
                    Err((message, at)) => (at, Some(message)),
                };
                EventRun {
                    script: script.name.clone(),
                    point,
                    line,
                    error,
                    duration: started.elapsed(),
                }
            })
            .collect()
    }
}
