//! `/admin`: the dashboard. Charts are SVG drawn here (no script): each bar carries a `<title>` with its
//! figure, and the totals are written out beside the charts for screen readers and narrow screens.
use super::PageQuery;
use crate::state::AppState;
use crate::ui::page::{Area, Chrome, PageResult, ok};
use crate::ui::session::Visit;
use app::dashboard::{DASHBOARD_DAYS, Dashboard, FIRST_RESPONSE_SAMPLE, STATUS_COUNT_BOUND};
use askama::Template;
use axum::extract::{Query, State};

/// Chart geometry in SVG user units (the SVG scales to its box).
const WIDTH: u32 = 600;
const HEIGHT: u32 = 160;
const BASE: u32 = 140;

/// One bar of a chart.
pub(crate) struct Bar {
    x: u32,
    y: u32,
    width: u32,
    height: u32,
    class: &'static str,
    title: String,
}

pub(crate) struct Label {
    x: u32,
    text: String,
}

#[derive(Template)]
#[template(path = "admin/dashboard.html")]
pub(crate) struct DashboardPage {
    c: Chrome,
    section: &'static str,
    days: i64,
    opened_total: u64,
    solved_total: u64,
    per_day: Vec<Bar>,
    day_labels: Vec<Label>,
    by_status: Vec<Bar>,
    status_labels: Vec<Label>,
    status_rows: Vec<(String, String)>,
    median: String,
    answered: usize,
    unanswered: usize,
    sampled: bool,
    sample_limit: u32,
    mrr: Vec<(String, u64)>,
    mrr_incomplete: bool,
    width: u32,
    height: u32,
    base: u32,
}

/// `h m s` of a duration in seconds.
fn duration(secs: i64) -> String {
    let (h, m, s) = (secs / 3600, secs % 3600 / 60, secs % 60);
    match (h, m) {
        (0, 0) => format!("{s} s"),
        (0, _) => format!("{m} min {s} s"),
        _ => format!("{h} h {m} min"),
    }
}

/// How tall a bar of `value` is when `max` fills the chart.
fn scaled(value: u64, max: u64) -> u32 {
    let top = u64::from(BASE - 10);
    u32::try_from(value.saturating_mul(top) / max.max(1)).unwrap_or(BASE - 10)
}

fn count_text(n: u64) -> String {
    if n >= STATUS_COUNT_BOUND {
        format!("{n}+")
    } else {
        n.to_string()
    }
}

fn page_of(c: Chrome, d: Dashboard) -> DashboardPage {
    let slot = WIDTH / u32::try_from(d.days.len().max(1)).unwrap_or(1);
    let bar = (slot.saturating_sub(2) / 2).max(1);
    let max = d.days.iter().map(|f| f.opened.max(f.solved)).max().unwrap_or(0);
    let mut per_day = Vec::new();
    let mut day_labels = Vec::new();
    for (i, f) in (0u32..).zip(&d.days) {
        let x = i * slot;
        let (ho, hs) = (scaled(f.opened, max), scaled(f.solved, max));
        per_day.push(Bar {
            x,
            y: BASE - ho,
            width: bar,
            height: ho,
            class: "opened",
            title: format!("{}: {} opened", f.date, f.opened),
        });
        per_day.push(Bar {
            x: x + bar,
            y: BASE - hs,
            width: bar,
            height: hs,
            class: "solved",
            title: format!("{}: {} solved", f.date, f.solved),
        });
        if i % 7 == 0 {
            day_labels.push(Label {
                x,
                text: f.date.get(5..).unwrap_or(&f.date).to_owned(),
            });
        }
    }
    let status_max = d.open_by_status.iter().map(|(_, n)| *n).max().unwrap_or(0);
    let status_slot = WIDTH / u32::try_from(d.open_by_status.len().max(1)).unwrap_or(1);
    let mut by_status = Vec::new();
    let mut status_labels = Vec::new();
    for (i, (status, n)) in (0u32..).zip(&d.open_by_status) {
        let h = scaled(*n, status_max);
        let x = i * status_slot + status_slot / 4;
        by_status.push(Bar {
            x,
            y: BASE - h,
            width: status_slot / 2,
            height: h,
            class: "status",
            title: format!("{status}: {}", count_text(*n)),
        });
        status_labels.push(Label {
            x,
            text: format!("{status} {}", count_text(*n)),
        });
    }
    DashboardPage {
        c,
        section: "dashboard",
        days: DASHBOARD_DAYS,
        opened_total: d.days.iter().map(|f| f.opened).sum(),
        solved_total: d.days.iter().map(|f| f.solved).sum(),
        per_day,
        day_labels,
        by_status,
        status_labels,
        status_rows: d
            .open_by_status
            .iter()
            .map(|(s, n)| (s.to_string(), count_text(*n)))
            .collect(),
        median: d.first_response.median_secs.map_or_else(|| "—".into(), duration),
        answered: d.first_response.answered,
        unanswered: d.first_response.unanswered,
        sampled: d.first_response.sampled,
        sample_limit: FIRST_RESPONSE_SAMPLE,
        mrr: d.mrr.iter().map(|m| (m.money.to_string(), m.subscriptions)).collect(),
        mrr_incomplete: d.mrr_incomplete,
        width: WIDTH,
        height: HEIGHT,
        base: BASE,
    }
}

pub(crate) async fn page(State(state): State<AppState>, visit: Visit, Query(_q): Query<PageQuery>) -> PageResult {
    let s = visit.admin()?;
    let d = state.app.dashboard(&s.principal).await?;
    ok(page_of(Chrome::of(s, Area::Admin, "Admin"), d))
}
