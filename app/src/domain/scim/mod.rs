//! SCIM 2.0 (RFC 7643 / RFC 7644), the parts that are pure: filters and
//! paths, the users' and groups' resource shape, PATCH applied to a
//! resource, and attribute selection.

pub mod filter;
pub mod patch;
pub mod query;
pub mod resource;
