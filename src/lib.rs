//! jira-oauth: an OAuth 1.0a (RFC 5849) client for JIRA's REST API.
//!
//! The signer (`signature`) is pure: nonce, timestamp and key are passed in.
//! The transport (`transport`) does the I/O; `commands` joins the two.

pub mod error;
pub mod keys;

pub use error::{Error, Kind, Result};
