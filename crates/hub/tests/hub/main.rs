//! The hub's one integration-test binary (one binary links once; see stack.md).
//! Real servers on port 0, real SQLite files, and PostgreSQL when reachable.
#![allow(clippy::unwrap_used)] // tests may panic

mod api;
mod authz_matrix;
mod backup;
mod cli;
mod connections;
mod helpers;
mod partner_reports;
mod pg_dead_network;
mod pg_outage;
mod serving;
mod store;
mod web;
mod web_adoption_pages;
mod web_effect_plans;
mod web_effect_settings;
mod web_invite;
mod web_login_limit;
mod web_report;
mod web_second_user;
mod web_store;
mod web_survey_questions;
mod web_timestudy;
mod web_timestudy_cancel;
mod web_timestudy_entry;
