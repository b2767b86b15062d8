//! The clock, in the domain's unit.

use app::domain::model::Millis;

pub fn now_ms() -> Millis {
    chrono::Utc::now().timestamp_millis()
}
