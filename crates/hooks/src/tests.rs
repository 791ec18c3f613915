//! The engine's guarantees, script by script: registrations, order, and every way a script can misbehave.
use super::*;
use domain::HookPoint;
use serde_json::json;
use std::time::{Duration, Instant};

fn hooks(scripts: &[(&str, &str)]) -> Hooks {
    let hooks = Hooks::default();
    let compiled = scripts
        .iter()
        .map(|(name, source)| hooks.compile(name, source).expect("compiles"))
        .collect();
    hooks.replace(compiled);
    hooks
}

fn ticket() -> serde_json::Value {
    json!({"title": "Help", "message": "It broke", "priority": 2, "did": 1})
}

#[test]
fn the_spec_example_validates_and_renders() {
    let h = hooks(&[(
        "spec.rhai",
        r#"
hook("TicketClientCreateValidation", 1, |params| {
    if params.title.len() < 10 { return #{ error: "Please describe the problem in the title" }; }
});
hook("TicketAdminAreaViewDetailSidebar", 5, |params| `<p>Plan: ${params.service}</p>`);
"#,
    )]);
    let (rejection, failures) = h.validate(HookPoint::TicketClientCreateValidation, &ticket());
    assert!(failures.is_empty(), "{failures:?}");
    assert_eq!(
        rejection.map(|r| r.message),
        Some("Please describe the problem in the title".to_owned())
    );
    let long = json!({"title": "The printer is on fire again"});
    assert_eq!(
        h.validate(HookPoint::TicketClientCreateValidation, &long),
        (None, vec![])
    );
    let view = h.view(HookPoint::TicketAdminAreaViewDetailSidebar, &json!({"service": 42}));
    assert_eq!(view.html, "<p>Plan: 42</p>");
    assert!(h.has(HookPoint::TicketAdminAreaViewDetailSidebar));
    assert!(!h.has(HookPoint::TicketAdminCreateValidation));
}

#[test]
fn lower_priorities_run_first_and_the_first_rejection_wins() {
    let h = hooks(&[
        (
            "b.rhai",
            r#"hook("TicketAdminAreaViewList", 10, |p| "<b>late</b>"); hook("TicketAdminCreateValidation", 5, |p| #{error: "second"});"#,
        ),
        (
            "a.rhai",
            r#"hook("TicketAdminAreaViewList", 1, |p| "<a>early</a>"); hook("TicketAdminCreateValidation", 2, |p| #{error: "first"});"#,
        ),
    ]);
    assert_eq!(
        h.view(HookPoint::TicketAdminAreaViewList, &json!({})).html,
        "<a>early</a><b>late</b>"
    );
    let (rejection, _) = h.validate(HookPoint::TicketAdminCreateValidation, &json!({}));
    assert_eq!(
        rejection,
        Some(Rejection {
            message: "first".into(),
            script: "a.rhai".into()
        })
    );
}

fn failure_of(source: &str, point: HookPoint) -> Failure {
    let h = hooks(&[("bad.rhai", source)]);
    let started = Instant::now();
    let failures = match point.kind() {
        domain::hook::HookKind::Validation => {
            let (rejection, failures) = h.validate(point, &ticket());
            assert_eq!(rejection, None, "a failing hook does not reject");
            failures
        }
        domain::hook::HookKind::View => h.view(point, &ticket()).failures,
        domain::hook::HookKind::Event => h
            .event(point, &ticket())
            .into_iter()
            .filter_map(|run| {
                run.error.map(|message| Failure {
                    script: run.script,
                    point: run.point,
                    line: run.line,
                    message,
                })
            })
            .collect(),
    };
    assert!(
        started.elapsed() < Duration::from_secs(3),
        "stopped in time: {:?}",
        started.elapsed()
    );
    assert_eq!(failures.len(), 1, "{failures:?}");
    failures.into_iter().next().expect("one failure")
}

#[test]
fn misbehaving_scripts_are_stopped_and_named_with_their_line() {
    let looping = failure_of(
        "hook(\"TicketClientCreated\", 1, |p| {\n  loop { }\n});",
        HookPoint::TicketClientCreated,
    );
    // Rhai stops a run out of operations without a position: the failure names the hook's own line.
    assert_eq!((looping.script.as_str(), looping.line), ("bad.rhai", 1), "{looping:?}");
    assert!(
        looping.message.contains("operations") || looping.message.contains("time"),
        "{looping:?}"
    );

    let recursing = failure_of(
        "fn down(n) { down(n + 1) }\nhook(\"TicketAdminUpdated\", 1, |p| down(0));",
        HookPoint::TicketAdminUpdated,
    );
    assert!(
        recursing.message.contains("nest") || recursing.message.contains("Stack"),
        "{recursing:?}"
    );

    let huge_string = failure_of(
        "hook(\"TicketSolved\", 1, |p| {\n  let s = \"x\";\n  loop { s += s; }\n});",
        HookPoint::TicketSolved,
    );
    assert!(huge_string.message.contains("too large"), "{huge_string:?}");

    let huge_array = failure_of(
        "hook(\"TicketDeleted\", 1, |p| {\n  let a = [];\n  loop { a.push(1); }\n});",
        HookPoint::TicketDeleted,
    );
    assert!(huge_array.message.contains("too large"), "{huge_array:?}");

    let throwing = failure_of(
        "hook(\"TicketClientReplyValidation\", 1, |p| {\n  throw \"no replies on Sundays\";\n});",
        HookPoint::TicketClientReplyValidation,
    );
    assert_eq!((throwing.line, throwing.message.as_str()), (2, "no replies on Sundays"));

    let wrong_validation = failure_of(
        "hook(\"TicketAdminReplyValidation\", 1, |p| 42);",
        HookPoint::TicketAdminReplyValidation,
    );
    assert!(
        wrong_validation.message.contains("returns nothing"),
        "{wrong_validation:?}"
    );
    let wrong_view = failure_of(
        "hook(\"TicketClientAreaViewList\", 1, |p| [1, 2]);",
        HookPoint::TicketClientAreaViewList,
    );
    assert!(wrong_view.message.contains("string of HTML"), "{wrong_view:?}");
    let registering_inside = failure_of(
        "hook(\"TicketLockChange\", 1, |p| hook(\"TicketSolved\", 1, |q| 1));",
        HookPoint::TicketLockChange,
    );
    assert!(
        registering_inside.message.contains("top level"),
        "{registering_inside:?}"
    );
}

#[test]
fn scripts_that_cannot_load_say_where() {
    let h = Hooks::default();
    let unknown = h
        .compile("typo.rhai", "\n\nhook(\"TicketClientCreatedd\", 1, |p| 1);")
        .expect_err("unknown hook point");
    assert_eq!((unknown.script.as_str(), unknown.line), ("typo.rhai", 3));
    assert!(unknown.message.contains("TicketClientCreatedd"), "{unknown}");
    let syntax = h
        .compile("syntax.rhai", "hook(\"TicketSolved\", 1, |p| {\n  let = 5;\n});")
        .expect_err("syntax");
    assert_eq!(syntax.line, 2, "{syntax}");
    let top_loop = h
        .compile("top.rhai", "let i = 0;\nwhile true { i += 1; }")
        .expect_err("top-level loop");
    assert_eq!(top_loop.line, 2, "{top_loop}");
    let evil = h.compile("eval.rhai", "eval(\"1 + 1\")").expect_err("eval is off");
    assert_eq!(evil.script, "eval.rhai");
    let module = h
        .compile("import.rhai", "import \"/etc/passwd\" as p;")
        .expect_err("no modules");
    assert_eq!(module.line, 1);
    let ok = h
        .compile(
            "ok.rhai",
            "hook(\"CustomerCreated\", 3, |p| ());\nhook(\"InvoicePaid\", 1, |p| ());",
        )
        .expect("loads");
    assert_eq!(
        ok.registrations(),
        [(HookPoint::CustomerCreated, 3), (HookPoint::InvoicePaid, 1)]
    );
}

#[test]
fn one_failing_hook_never_stops_the_others() {
    let h = hooks(&[
        (
            "a.rhai",
            r#"hook("TicketAdminAreaViewDetail", 1, |p| { throw "boom"; });"#,
        ),
        ("b.rhai", r#"hook("TicketAdminAreaViewDetail", 2, |p| "<p>fine</p>");"#),
    ]);
    let out = h.view(HookPoint::TicketAdminAreaViewDetail, &json!({}));
    assert_eq!(out.html, "<p>fine</p>");
    assert_eq!(out.failures.len(), 1);
}

/// Every `rhai` example of docs/hooks.md loads, and the validation example refuses what it says.
#[test]
fn the_documented_examples_run() {
    let doc = include_str!("../../../docs/hooks.md");
    let blocks: Vec<&str> = doc
        .split("```rhai\n")
        .skip(1)
        .filter_map(|rest| rest.split("```").next())
        .collect();
    assert!(!blocks.is_empty(), "docs/hooks.md has examples");
    let h = Hooks::default();
    let scripts: Vec<Script> = blocks
        .iter()
        .enumerate()
        .map(|(n, source)| {
            h.compile(&format!("docs/hooks.md example {n}"), source)
                .expect("the example loads")
        })
        .collect();
    h.replace(scripts);
    let (rejection, failures) = h.validate(HookPoint::TicketClientCreateValidation, &json!({"title": "Help"}));
    assert!(failures.is_empty(), "{failures:?}");
    assert_eq!(
        rejection.map(|r| r.message),
        Some("Please describe the problem in the title".into())
    );
    let runs = h.event(
        HookPoint::TicketPriorityChange,
        &json!({"id": 7, "changes": {"priority": {"old": 2, "new": 3}}}),
    );
    assert_eq!(runs.len(), 1);
    assert_eq!(runs[0].error, None, "{runs:?}");
}
