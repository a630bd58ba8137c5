//! 地図: offices as dots coloured by status, placed by the coordinates in the open data (no map
//! tiles, nothing loaded from outside). Offices without coordinates are counted below the map.

use askama::Template;
use axum::extract::State;
use axum::response::Response;

use super::chrome::{Chrome, render};
use super::city::{self, City};
use super::session::MuniUser;
use super::{muni_chrome, svg};
use crate::error::WebError;
use crate::startup::AppState;

#[derive(Template)]
#[template(path = "map.html")]
struct Page {
    chrome: Chrome,
    map_svg: String,
    placed: usize,
    without: usize,
}

/// The map of a city's offices, and how many had no coordinates.
pub fn map_svg(city: &City) -> Result<(String, usize, usize), WebError> {
    let points: Vec<svg::MapInput> = city
        .master
        .offices
        .iter()
        .filter_map(|o| {
            let l = o.location?;
            Some(svg::MapInput {
                lat: l.lat,
                lon: l.lon,
                status: city.current.status(&o.number),
                label: o.name.clone(),
            })
        })
        .collect();
    let placed = points.len();
    let svg = svg::map("事業所の分布と導入状況", &points)?;
    Ok((svg, placed, city.master.offices.len() - placed))
}

/// `GET /m/map`.
pub async fn page(State(state): State<AppState>, user: MuniUser) -> Result<Response, WebError> {
    let city = city::load(&state, &user.muni_id).await?;
    let (map_svg, placed, without) = map_svg(&city)?;
    render(&Page {
        chrome: muni_chrome(&user, &city, "地図", "map"),
        map_svg,
        placed,
        without,
    })
}
