//! Hook scripts (SPEC §4): Rhai scripts that register functions for hook points with
//! `hook(name, priority, |params| …)`, as WiseCP's `Hook::add(name, priority, fn)` does.
//!
//! One hardened engine runs every script: no modules, no `eval`, no file, network or process access (Rhai
//! has none unless a host gives it), and limits on operations, call depth, expression depth, string, array
//! and map sizes and wall time, so a looping or huge script stops with an error naming its script and line
//! instead of holding a request or a worker. A script's failure is reported and never breaks the request or
//! the other scripts. Running a script is CPU work: async callers run it on a blocking thread.
mod engine;
mod registry;

mod sanitize;

pub use engine::Limits;
pub use registry::{EventRun, Failure, Hooks, Rejection, Script, ScriptError, TrialRun, ViewOutput};
pub use sanitize::sanitize_for_customers;

#[cfg(test)]
mod tests;
