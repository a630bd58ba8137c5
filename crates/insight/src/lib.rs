//! Municipal analytics for care-plan data exchange, as plain functions over data: the office
//! master (MHLW open data), 日常生活圏域 mapping, adoption, surveys, time studies and the effect
//! model. Bytes or text in, serde types out; no files, no HTTP, no SQL. The hub's dashboard and
//! `tsunagu insight` call these functions and render or write what they return.

pub mod address;
pub mod adoption;
pub mod areas;
pub mod categories;
pub mod day;
pub mod effect;
pub mod exchange;
pub mod input;
pub mod municipality;
pub mod offices;
pub mod report_csv;
pub mod sample;
pub mod stats;
pub mod survey;
pub mod timestudy;

pub use adoption::{AdoptionReport, AdoptionStatus, Snapshot, StatusObservation, StatusSource};
pub use areas::{Area, AreaTable, Assignment, Assignments, Center, MatchMethod, Override};
pub use day::Day;
pub use exchange::{ExchangeEdge, ReportedPartner};
pub use input::{InputError, Severity, TextEncoding};
pub use municipality::MunicipalityCode;
pub use offices::{Office, OfficeGroup, OfficeMaster, OfficeNo, OpenDataFile};
pub use stats::{Ratio, Summary};
