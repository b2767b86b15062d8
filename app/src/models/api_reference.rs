//! The admin API's reference as its page shows it: drawn by the server from
//! the OpenAPI document (served as JSON at [`OPENAPI_PATH`]), so the page
//! and the document cannot disagree.

use serde::{Deserialize, Serialize};

/// Where the OpenAPI 3.1 document is served: a stable address.
pub const OPENAPI_PATH: &str = "/api/v1/openapi.json";

#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct ApiReference {
    pub title: String,
    pub version: String,
    pub openapi: String,
    pub description: String,
    pub groups: Vec<ApiGroup>,
    pub schemas: Vec<ApiSchema>,
}

/// The operations of one tag, in the document's order.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ApiGroup {
    pub name: String,
    pub description: String,
    pub operations: Vec<ApiOperation>,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ApiOperation {
    /// `GET`, `POST`, ...
    pub method: String,
    pub path: String,
    /// The page's anchor for it.
    pub anchor: String,
    pub summary: String,
    pub description: String,
    pub parameters: Vec<ApiParameter>,
    /// The request body's content type and type, when it has one.
    pub request_body: Option<(String, ApiType)>,
    pub responses: Vec<ApiResponse>,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ApiParameter {
    pub name: String,
    /// `path`, `query`, `header`.
    pub location: String,
    pub required: bool,
    pub kind: ApiType,
    pub description: String,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ApiResponse {
    pub status: String,
    pub description: String,
    pub body: Option<ApiType>,
}

/// A type as a person reads it: its text ("array of User"), and the schema
/// it names, to link to.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct ApiType {
    pub text: String,
    pub schema: Option<String>,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ApiSchema {
    pub name: String,
    pub description: String,
    /// For enums: the values.
    pub values: Vec<String>,
    /// Schemas whose every property this one has too (a flattened part).
    pub includes: Vec<String>,
    pub properties: Vec<ApiProperty>,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ApiProperty {
    pub name: String,
    pub kind: ApiType,
    pub required: bool,
    pub description: String,
}
