//! Charts as inline SVG drawn on the server (no script; prints as it shows): 100% stacked bars,
//! grouped bars (rates or counts side by side), a line chart of rates over time, and a
//! tile-free map of points. The geometry is computed
//! here; the markup is in `templates/svg/*.svg` (askama escapes every label).

use askama::Template;
use tsunagu_insight::AdoptionStatus;

use crate::error::WebError;

/// The colour of a status (also used in legends and the map).
pub fn status_color(s: AdoptionStatus) -> &'static str {
    match s {
        AdoptionStatus::Adopted => "#2e7d32",
        AdoptionStatus::Planned => "#7cb342",
        AdoptionStatus::Considering => "#f9a825",
        AdoptionStatus::NotPlanned => "#c62828",
        AdoptionStatus::NotAdopted => "#8d6e63",
        AdoptionStatus::Stopped => "#6a1b9a",
        AdoptionStatus::Unknown => "#b0bec5",
    }
}

/// Line colours, in series order.
const SERIES_COLORS: [&str; 4] = ["#1f6fb2", "#e65100", "#00897b", "#6d4c41"];

pub struct Segment {
    pub x: f64,
    pub width: f64,
    pub color: &'static str,
    pub label: String,
    pub count: u32,
    /// Shown inside the segment when it is wide enough.
    pub show_count: bool,
}

pub struct Bar {
    pub y: f64,
    pub label: String,
    pub right: String,
    pub segments: Vec<Segment>,
}

pub struct LegendItem {
    pub x: f64,
    pub color: &'static str,
    pub label: String,
}

#[derive(Template)]
#[template(path = "svg/stacked_bars.svg")]
struct StackedBars<'a> {
    title: &'a str,
    width: f64,
    height: f64,
    label_width: f64,
    bar_width: f64,
    bar_height: f64,
    bars: Vec<Bar>,
    legend: Vec<LegendItem>,
    legend_y: f64,
}

/// One bar: a label, its counts per status (in the order to stack) and a text on the right.
pub struct BarInput {
    pub label: String,
    pub counts: Vec<(AdoptionStatus, u32)>,
    pub right: String,
}

const LABEL_W: f64 = 170.0;
const BAR_W: f64 = 480.0;
const RIGHT_W: f64 = 110.0;
const ROW_H: f64 = 28.0;

fn legend(items: &[(&'static str, String)], y_width: f64) -> Vec<LegendItem> {
    let mut x = 0.0;
    items
        .iter()
        .map(|(color, label)| {
            let item = LegendItem {
                x,
                color,
                label: label.clone(),
            };
            // Japanese labels: about one em (12px) per character, plus the swatch.
            x += 24.0 + 12.5 * label.chars().count() as f64;
            let _ = y_width;
            item
        })
        .collect()
}

/// 100% stacked horizontal bars, one per row.
pub fn stacked_bars(title: &str, rows: &[BarInput]) -> Result<String, WebError> {
    let mut statuses: Vec<AdoptionStatus> = Vec::new();
    let bars = rows
        .iter()
        .enumerate()
        .map(|(i, r)| {
            let total: u32 = r.counts.iter().map(|(_, n)| n).sum();
            let mut x = LABEL_W;
            let segments = r
                .counts
                .iter()
                .filter(|(_, n)| *n > 0)
                .map(|(s, n)| {
                    if !statuses.contains(s) {
                        statuses.push(*s);
                    }
                    let width = BAR_W * f64::from(*n) / f64::from(total.max(1));
                    let seg = Segment {
                        x,
                        width,
                        color: status_color(*s),
                        label: s.label().to_string(),
                        count: *n,
                        show_count: width >= 22.0,
                    };
                    x += width;
                    seg
                })
                .collect();
            Bar {
                y: 30.0 + ROW_H * i as f64,
                label: r.label.clone(),
                right: r.right.clone(),
                segments,
            }
        })
        .collect::<Vec<_>>();
    statuses.sort();
    let legend_y = 30.0 + ROW_H * rows.len() as f64 + 14.0;
    let items: Vec<(&'static str, String)> = statuses
        .iter()
        .map(|s| (status_color(*s), s.label().to_string()))
        .collect();
    StackedBars {
        title,
        width: LABEL_W + BAR_W + RIGHT_W,
        height: legend_y + 24.0,
        label_width: LABEL_W,
        bar_width: BAR_W,
        bar_height: ROW_H - 8.0,
        bars,
        legend: legend(&items, LABEL_W),
        legend_y,
    }
    .render()
    .map_err(|e| WebError::Internal(format!("svg: {e}")))
}

pub struct Point {
    pub x: f64,
    pub y: f64,
    pub label: String,
}

pub struct Series {
    pub color: &'static str,
    pub name: String,
    pub path: String,
    pub points: Vec<Point>,
}

pub struct Tick {
    pub pos: f64,
    pub label: String,
}

#[derive(Template)]
#[template(path = "svg/line.svg")]
struct LineChart<'a> {
    title: &'a str,
    width: f64,
    height: f64,
    left: f64,
    top: f64,
    plot_w: f64,
    plot_h: f64,
    y_ticks: Vec<Tick>,
    x_ticks: Vec<Tick>,
    series: Vec<Series>,
    legend: Vec<LegendItem>,
    legend_y: f64,
}

/// Rates (0–100%) over time: `x_labels` name the points; each series has one value per point
/// (None leaves a gap).
pub fn line_chart(
    title: &str,
    x_labels: &[String],
    series: &[(String, Vec<Option<f64>>)],
) -> Result<String, WebError> {
    let (left, top, plot_w, plot_h) = (50.0, 30.0, 640.0, 220.0);
    let n = x_labels.len().max(1);
    let x_at = |i: usize| {
        if n == 1 {
            left + plot_w / 2.0
        } else {
            left + plot_w * i as f64 / (n - 1) as f64
        }
    };
    let y_at = |v: f64| top + plot_h * (1.0 - v.clamp(0.0, 100.0) / 100.0);
    let y_ticks = (0..=5)
        .map(|i| Tick {
            pos: y_at(f64::from(i) * 20.0),
            label: format!("{}%", i * 20),
        })
        .collect();
    // At most about 8 date labels.
    let step = n.div_ceil(8).max(1);
    let x_ticks = x_labels
        .iter()
        .enumerate()
        .filter(|(i, _)| i % step == 0 || *i == n - 1)
        .map(|(i, l)| Tick {
            pos: x_at(i),
            label: l.clone(),
        })
        .collect();
    let series: Vec<Series> = series
        .iter()
        .enumerate()
        .map(|(k, (name, values))| {
            let color = SERIES_COLORS[k % SERIES_COLORS.len()];
            let mut path = String::new();
            let mut pen_down = false;
            let mut points = Vec::new();
            for (i, v) in values.iter().enumerate() {
                match v {
                    Some(v) => {
                        let (x, y) = (x_at(i), y_at(*v));
                        path.push_str(&format!(
                            "{}{x:.1},{y:.1} ",
                            if pen_down { "L" } else { "M" }
                        ));
                        pen_down = true;
                        points.push(Point {
                            x,
                            y,
                            label: format!(
                                "{name} {}: {v:.1}%",
                                x_labels.get(i).map_or("", String::as_str)
                            ),
                        });
                    }
                    None => pen_down = false,
                }
            }
            Series {
                color,
                name: name.clone(),
                path: path.trim_end().to_string(),
                points,
            }
        })
        .collect();
    let items: Vec<(&'static str, String)> =
        series.iter().map(|s| (s.color, s.name.clone())).collect();
    let legend_y = top + plot_h + 44.0;
    LineChart {
        title,
        width: left + plot_w + 40.0,
        height: legend_y + 20.0,
        left,
        top,
        plot_w,
        plot_h,
        y_ticks,
        x_ticks,
        legend: legend(&items, left),
        series,
        legend_y,
    }
    .render()
    .map_err(|e| WebError::Internal(format!("svg: {e}")))
}

pub struct MapDot {
    pub x: f64,
    pub y: f64,
    pub color: &'static str,
    pub label: String,
}

#[derive(Template)]
#[template(path = "svg/map.svg")]
struct Map<'a> {
    title: &'a str,
    width: f64,
    height: f64,
    dots: Vec<MapDot>,
    legend: Vec<LegendItem>,
    legend_y: f64,
    scale_label: String,
    scale_px: f64,
}

/// A point on the map: latitude, longitude, status, and the tooltip text.
pub struct MapInput {
    pub lat: f64,
    pub lon: f64,
    pub status: AdoptionStatus,
    pub label: String,
}

/// Offices as dots on a plain equirectangular projection around their own extent (no tiles,
/// no outside requests), with a scale bar.
pub fn map(title: &str, points: &[MapInput]) -> Result<String, WebError> {
    let (w, h, pad) = (720.0, 480.0, 20.0);
    let (mut lat0, mut lat1, mut lon0, mut lon1) = (90.0f64, -90.0f64, 180.0f64, -180.0f64);
    for p in points {
        lat0 = lat0.min(p.lat);
        lat1 = lat1.max(p.lat);
        lon0 = lon0.min(p.lon);
        lon1 = lon1.max(p.lon);
    }
    if points.is_empty() {
        (lat0, lat1, lon0, lon1) = (0.0, 1.0, 0.0, 1.0);
    }
    let mid_lat = ((lat0 + lat1) / 2.0).to_radians();
    // Kilometres per degree; longitude shrinks with latitude.
    let (ky, kx) = (111.0, 111.0 * mid_lat.cos().max(0.01));
    let span_x = ((lon1 - lon0) * kx).max(0.5);
    let span_y = ((lat1 - lat0) * ky).max(0.5);
    let scale = ((w - 2.0 * pad) / span_x).min((h - 2.0 * pad) / span_y);
    let dots = points
        .iter()
        .map(|p| MapDot {
            x: pad + (p.lon - lon0) * kx * scale,
            y: pad + (lat1 - p.lat) * ky * scale,
            color: status_color(p.status),
            label: format!("{}（{}）", p.label, p.status.label()),
        })
        .collect();
    let mut statuses: Vec<AdoptionStatus> = points.iter().map(|p| p.status).collect();
    statuses.sort();
    statuses.dedup();
    let items: Vec<(&'static str, String)> = statuses
        .iter()
        .map(|s| (status_color(*s), s.label().to_string()))
        .collect();
    // A round scale length near a fifth of the width.
    let target_km = span_x / 5.0;
    let km = [0.5, 1.0, 2.0, 5.0, 10.0, 20.0, 50.0]
        .into_iter()
        .min_by(|a, b| {
            (a - target_km)
                .abs()
                .partial_cmp(&(b - target_km).abs())
                .unwrap_or(std::cmp::Ordering::Equal)
        })
        .unwrap_or(1.0);
    let height = pad * 2.0 + span_y * scale;
    Map {
        title,
        width: w,
        height: height + 50.0,
        dots,
        legend: legend(&items, 0.0),
        legend_y: height + 30.0,
        scale_label: format!("{km} km"),
        scale_px: km * scale,
    }
    .render()
    .map_err(|e| WebError::Internal(format!("svg: {e}")))
}

/// Colours of the parts of a composition, in the order of the category set's groups.
pub const PART_COLORS: [&str; 10] = [
    "#1f6fb2", "#e65100", "#2e7d32", "#6a1b9a", "#f9a825", "#00897b", "#c62828", "#6d4c41",
    "#5c6bc0", "#9e9d24",
];

/// The colour of the `i`-th part.
pub fn part_color(i: usize) -> &'static str {
    PART_COLORS[i % PART_COLORS.len()]
}

/// One bar of [`share_bars`]: its label, the value of each part (in the order of the legend,
/// coloured by [`part_color`]) and a text on the right.
pub struct ShareBarInput {
    pub label: String,
    pub values: Vec<u64>,
    pub right: String,
}

/// 100% stacked horizontal bars of any parts (time-study groups, cost items): `parts` names
/// them; each segment shows its percent when wide enough. The legend is left to the page (it
/// may be long), coloured with [`part_color`].
pub fn share_bars(
    title: &str,
    parts: &[String],
    rows: &[ShareBarInput],
    unit: &str,
) -> Result<String, WebError> {
    // Long labels (「川沿い地域包括支援センター」) widen the chart instead of being cut off.
    let label_w = rows
        .iter()
        .map(|r| text_width(&r.label) + 12.0)
        .fold(LABEL_W, f64::max);
    let bars = rows
        .iter()
        .enumerate()
        .map(|(i, r)| {
            let total: u64 = r.values.iter().sum();
            let mut x = label_w;
            let segments = r
                .values
                .iter()
                .enumerate()
                .filter(|(_, v)| **v > 0)
                .map(|(j, v)| {
                    let share = *v as f64 / total.max(1) as f64;
                    let width = BAR_W * share;
                    let seg = Segment {
                        x,
                        width,
                        color: part_color(j),
                        label: format!("{} {v}{unit}", parts.get(j).map_or("", |p| p.as_str())),
                        count: (share * 100.0).round() as u32,
                        show_count: width >= 26.0,
                    };
                    x += width;
                    seg
                })
                .collect();
            Bar {
                y: 30.0 + ROW_H * i as f64,
                label: r.label.clone(),
                right: r.right.clone(),
                segments,
            }
        })
        .collect::<Vec<_>>();
    let legend_y = 30.0 + ROW_H * rows.len() as f64;
    StackedBars {
        title,
        width: label_w + BAR_W + RIGHT_W,
        height: legend_y + 4.0,
        label_width: label_w,
        bar_width: BAR_W,
        bar_height: ROW_H - 8.0,
        bars,
        legend: Vec::new(),
        legend_y,
    }
    .render()
    .map_err(|e| WebError::Internal(format!("svg: {e}")))
}

pub struct GroupedBar {
    pub y: f64,
    pub width: f64,
    pub color: &'static str,
    pub series: String,
    pub text: String,
}

pub struct BarGroup {
    pub label: String,
    pub label_y: f64,
    pub bars: Vec<GroupedBar>,
}

#[derive(Template)]
#[template(path = "svg/grouped_bars.svg")]
struct GroupedBars<'a> {
    title: &'a str,
    width: f64,
    height: f64,
    label_width: f64,
    bar_height: f64,
    axis_y: f64,
    ticks: Vec<Tick>,
    groups: Vec<BarGroup>,
    legend: Vec<LegendItem>,
    legend_y: f64,
}

/// One group of [`grouped_bars`]: its label and one value per series (None draws no bar and
/// says so), with the text written after each bar.
pub struct GroupedBarInput {
    pub label: String,
    pub values: Vec<Option<f64>>,
    pub texts: Vec<String>,
}

/// How the value axis of [`grouped_bars`] runs.
#[derive(Clone, Copy)]
pub enum Axis {
    /// 0–100%.
    Percent,
    /// 0 to the largest value (at least 1), whole numbers.
    Count,
}

/// The width of a label at 13 px: about 7.5 px per ASCII character, 13 per wide one.
fn text_width(s: &str) -> f64 {
    s.chars()
        .map(|c| if c.is_ascii() { 7.5 } else { 13.0 })
        .sum()
}

/// The round step (1, 2 or 5 × 10^k, at least 1) not below `raw`.
fn nice_step(raw: f64) -> f64 {
    let mut unit = 1.0;
    loop {
        for m in [1.0, 2.0, 5.0] {
            if m * unit >= raw {
                return m * unit;
            }
        }
        unit *= 10.0;
    }
}

/// Horizontal bars side by side, one per series in each group (e.g. 居宅介護支援 and サービス
/// 事業所 per 圏域, or offices that joined and left per period), on a common axis. `series`
/// names them in legend order with their colours.
pub fn grouped_bars(
    title: &str,
    series: &[(&'static str, String)],
    rows: &[GroupedBarInput],
    axis: Axis,
) -> Result<String, WebError> {
    let bar_h = 12.0;
    let group_h = bar_h * series.len().max(1) as f64 + 10.0;
    // Labels such as 「2025-01-31 → 2026-11-24」 need more room than 圏域 names.
    let label_w = rows
        .iter()
        .map(|r| text_width(&r.label) + 12.0)
        .fold(LABEL_W, f64::max);
    let largest = rows
        .iter()
        .flat_map(|r| r.values.iter().flatten())
        .fold(0.0f64, |m, v| m.max(*v));
    // Counts run to a round number: steps of 1, 2 or 5 × 10^k, about four of them.
    let step = match axis {
        Axis::Percent => 25.0,
        Axis::Count => nice_step(largest / 4.0),
    };
    let max = match axis {
        Axis::Percent => 100.0,
        Axis::Count => (step * (largest / step).ceil()).max(step),
    };
    let scale = |v: f64| BAR_W * (v.clamp(0.0, max) / max);
    let groups: Vec<BarGroup> = rows
        .iter()
        .enumerate()
        .map(|(i, r)| {
            let top = 30.0 + group_h * i as f64;
            BarGroup {
                label: r.label.clone(),
                label_y: top + group_h / 2.0,
                bars: series
                    .iter()
                    .enumerate()
                    .map(|(k, (color, name))| GroupedBar {
                        y: top + bar_h * k as f64,
                        width: r.values.get(k).copied().flatten().map_or(0.0, scale),
                        color,
                        series: name.clone(),
                        text: r.texts.get(k).cloned().unwrap_or_default(),
                    })
                    .collect(),
            }
        })
        .collect();
    let axis_y = 30.0 + group_h * rows.len() as f64;
    let ticks = (0..)
        .map(|i| f64::from(i) * step)
        .take_while(|v| *v <= max + 1e-9)
        .map(|v| Tick {
            pos: label_w + scale(v),
            label: match axis {
                Axis::Percent => format!("{v:.0}%"),
                Axis::Count => format!("{v:.0}"),
            },
        })
        .collect();
    let legend_y = axis_y + 26.0;
    GroupedBars {
        title,
        width: label_w + BAR_W + RIGHT_W,
        height: legend_y + 20.0,
        label_width: label_w,
        bar_height: bar_h,
        axis_y,
        ticks,
        groups,
        legend: legend(series, label_w),
        legend_y,
    }
    .render()
    .map_err(|e| WebError::Internal(format!("svg: {e}")))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn grouped_bars_share_one_axis() {
        let svg = grouped_bars(
            "種別ごとの導入率",
            &[("#111111", "居宅".into()), ("#222222", "サービス".into())],
            &[
                GroupedBarInput {
                    label: "中央".into(),
                    values: vec![Some(50.0), Some(25.0)],
                    texts: vec!["50.0%（1/2）".into(), "25.0%（1/4）".into()],
                },
                GroupedBarInput {
                    label: "東部".into(),
                    values: vec![None, Some(100.0)],
                    texts: vec!["—".into(), "100.0%".into()],
                },
            ],
            Axis::Percent,
        )
        .unwrap();
        // Half and a quarter of the 480 px axis; no bar for an empty group; the full width.
        assert!(
            svg.contains("width=\"240.0\" height=\"12.0\" fill=\"#111111\""),
            "{svg}"
        );
        assert!(
            svg.contains("width=\"120.0\" height=\"12.0\" fill=\"#222222\""),
            "{svg}"
        );
        assert!(
            svg.contains("width=\"0.0\" height=\"12.0\" fill=\"#111111\""),
            "{svg}"
        );
        assert!(
            svg.contains("width=\"480.0\" height=\"12.0\" fill=\"#222222\""),
            "{svg}"
        );
        assert!(svg.contains(">100%<") && svg.contains("50.0%（1/2）"));
        // Counts: the axis runs to a round number at or above the largest value.
        let svg = grouped_bars(
            "件数",
            &[("#111111", "導入".into())],
            &[GroupedBarInput {
                label: "期間".into(),
                values: vec![Some(8.0)],
                texts: vec!["8".into()],
            }],
            Axis::Count,
        )
        .unwrap();
        assert!(svg.contains("width=\"480.0\""), "{svg}");
        assert!(svg.contains(">8<") && svg.contains(">4<"), "{svg}");
        // 27 on an axis to 30 (ticks of 10); a long label pushes the bars right.
        let svg = grouped_bars(
            "件数",
            &[("#111111", "導入".into())],
            &[GroupedBarInput {
                label: "2025-01-31 → 2026-11-24".into(),
                values: vec![Some(27.0)],
                texts: vec!["27件".into()],
            }],
            Axis::Count,
        )
        .unwrap();
        assert!(svg.contains("width=\"432.0\""), "{svg}");
        assert!(svg.contains(">30<") && svg.contains(">20<") && !svg.contains(">7<"));
        assert!(svg.contains("<rect x=\"190.0\""), "{svg}");
    }

    #[test]
    fn stacked_bars_are_proportional_and_escaped() {
        let svg = stacked_bars(
            "圏域別 <導入>",
            &[BarInput {
                label: "中央圏域".into(),
                counts: vec![
                    (AdoptionStatus::Adopted, 3),
                    (AdoptionStatus::NotPlanned, 1),
                ],
                right: "75.0%".into(),
            }],
        )
        .unwrap();
        assert!(svg.starts_with("<svg"));
        assert!(svg.contains("圏域別 &#60;導入&#62;") || svg.contains("圏域別 &lt;導入&gt;"));
        assert!(svg.contains("width=\"360.0\""), "{svg}");
        assert!(svg.contains("width=\"120.0\""), "{svg}");
    }

    #[test]
    fn share_bars_show_percent_of_each_part() {
        let svg = share_bars(
            "構成",
            &["直接".into(), "間接".into(), "休憩".into()],
            &[ShareBarInput {
                label: "K01".into(),
                values: vec![90, 0, 30],
                right: "1人 120分".into(),
            }],
            "分",
        )
        .unwrap();
        // 90 of 120 minutes: 75% of the 480 px bar; the empty part draws nothing.
        assert!(svg.contains("width=\"360.0\""), "{svg}");
        assert!(svg.contains("width=\"120.0\""), "{svg}");
        assert!(svg.contains(">75<") && svg.contains(">25<"), "{svg}");
        assert!(svg.contains("直接 90分") && !svg.contains("間接 0分"));
        assert!(svg.contains(part_color(2)) && !svg.contains(part_color(1)));
    }

    #[test]
    fn line_chart_skips_gaps() {
        let svg = line_chart(
            "導入率の推移",
            &[
                "2025-01-31".into(),
                "2025-07-31".into(),
                "2026-01-31".into(),
            ],
            &[("全体".into(), vec![Some(20.0), None, Some(40.0)])],
        )
        .unwrap();
        assert_eq!(
            svg.matches(" M").count() + svg.matches("\"M").count(),
            2,
            "{svg}"
        );
    }
}
