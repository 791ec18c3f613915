//! The one Rhai engine hook scripts run on, with its limits.
use domain::HookPoint;
use rhai::{Dynamic, Engine, EvalAltResult, FnPtr, INT, ImmutableString, NativeCallContext, Position};
use std::cell::{Cell, RefCell};
use std::time::{Duration, Instant};

/// What one script run may use.
#[derive(Debug, Clone, Copy)]
pub struct Limits {
    /// Rhai operations (roughly: expression nodes, loop iterations, calls) per run.
    pub max_operations: u64,
    /// Nested function calls.
    pub max_call_levels: usize,
    /// Nesting of expressions (at the top level; half of it inside functions).
    pub max_expr_depth: usize,
    /// Bytes of one string.
    pub max_string_size: usize,
    /// Items of one array.
    pub max_array_size: usize,
    /// Members of one object map.
    pub max_map_size: usize,
    /// Wall time of one run.
    pub max_time: Duration,
}

impl Default for Limits {
    fn default() -> Self {
        Self {
            max_operations: 1_000_000,
            max_call_levels: 32,
            max_expr_depth: 64,
            max_string_size: 1024 * 1024,
            max_array_size: 10_000,
            max_map_size: 10_000,
            max_time: Duration::from_millis(500),
        }
    }
}

/// A registration made while a script's top level runs: `hook(name, priority, fn)` at `line`.
pub(crate) struct Registration {
    pub point: HookPoint,
    pub priority: i64,
    pub function: FnPtr,
    pub line: usize,
}

thread_local! {
    /// The registrations of the script whose top level runs on this thread (`None`: no script is loading,
    /// so `hook()` is being called from inside a hook, which is refused).
    static COLLECTING: RefCell<Option<Vec<Registration>>> = const { RefCell::new(None) };
    /// When the current run must stop.
    static DEADLINE: Cell<Option<Instant>> = const { Cell::new(None) };
}

/// Collects the registrations of a top-level run on this thread while `run` runs.
pub(crate) fn collecting<T>(run: impl FnOnce() -> T) -> (T, Vec<Registration>) {
    COLLECTING.with(|c| *c.borrow_mut() = Some(Vec::new()));
    let out = run();
    let registrations = COLLECTING.with(|c| c.borrow_mut().take()).unwrap_or_default();
    (out, registrations)
}

/// Runs `run` with the wall-time limit armed on this thread.
pub(crate) fn within(
    limit: Duration,
    run: impl FnOnce() -> Result<Dynamic, Box<EvalAltResult>>,
) -> Result<Dynamic, Box<EvalAltResult>> {
    DEADLINE.with(|d| d.set(Some(Instant::now() + limit)));
    let out = run();
    DEADLINE.with(|d| d.set(None));
    out
}

/// The hardened engine: limits set, `eval` off, output discarded, `hook()` registered.
pub(crate) fn engine(limits: &Limits) -> Engine {
    let mut engine = Engine::new();
    engine
        .set_max_operations(limits.max_operations)
        .set_max_call_levels(limits.max_call_levels)
        .set_max_expr_depths(limits.max_expr_depth, limits.max_expr_depth / 2)
        .set_max_string_size(limits.max_string_size)
        .set_max_array_size(limits.max_array_size)
        .set_max_map_size(limits.max_map_size)
        .disable_symbol("eval");
    engine.on_print(|_| {});
    engine.on_debug(|_, _, _| {});
    engine.on_progress(|_| {
        DEADLINE.with(|d| match d.get() {
            Some(deadline) if Instant::now() >= deadline => Some(Dynamic::from("the script ran out of time")),
            _ => None,
        })
    });
    engine.register_fn(
        "hook",
        |ctx: NativeCallContext<'_>,
         name: ImmutableString,
         priority: INT,
         function: FnPtr|
         -> Result<(), Box<EvalAltResult>> {
            let position = ctx.call_position();
            let point: HookPoint = name
                .parse()
                .map_err(|_| runtime_error(format!("unknown hook point {name:?} (SPEC §4 names them)"), position))?;
            let registration = Registration {
                point,
                priority,
                function,
                line: position.line().unwrap_or(0),
            };
            COLLECTING.with(|c| match c.borrow_mut().as_mut() {
                Some(list) => {
                    list.push(registration);
                    Ok(())
                }
                None => Err(runtime_error(
                    "hook() registers at the top level of a script, not inside a hook".into(),
                    position,
                )),
            })
        },
    );
    engine
}

fn runtime_error(message: String, position: Position) -> Box<EvalAltResult> {
    Box::new(EvalAltResult::ErrorRuntime(message.into(), position))
}

/// An evaluation error as a message and the line it happened at (the innermost, for errors inside a
/// hook's function).
pub(crate) fn describe(e: &EvalAltResult) -> (String, usize) {
    let mut inner = e;
    while let EvalAltResult::ErrorInFunctionCall(_, _, cause, _) = inner {
        inner = cause;
    }
    let line = inner.position().line().or(e.position().line()).unwrap_or(0);
    let message = match inner {
        EvalAltResult::ErrorTooManyOperations(_) => {
            "the script ran too many operations (a loop that does not end?)".to_owned()
        }
        EvalAltResult::ErrorTerminated(..) => "the script ran out of time".to_owned(),
        EvalAltResult::ErrorStackOverflow(_) => "the script's calls nest too deep (endless recursion?)".to_owned(),
        EvalAltResult::ErrorDataTooLarge(what, _) => format!("{what} too large"),
        EvalAltResult::ErrorRuntime(value, _) => value.to_string(),
        other => other.to_string(),
    };
    (message, line)
}
