//! FastAPI's error answers, as the prototype's clients read them: `{"detail": "..."}` for every
//! status but 422, and for 422 every problem of the request as `{"loc", "msg", "type"}`. Also
//! the readers that check query parameters and JSON bodies the way FastAPI (pydantic) does,
//! collecting every problem before answering.

use axum::Json;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use model::error::AppError;
use model::prototype::{
    LocationPart, PrototypeErrorBody, PrototypeValidationBody, PrototypeValidationIssue,
    location_of,
};
use serde_json::{Map, Value};

/// An error answer of the prototype's API.
#[derive(Debug)]
pub(crate) enum PrototypeError {
    /// `{"detail": "..."}` with this status.
    Detail(StatusCode, String),
    /// 422 with every problem found.
    Invalid(Vec<PrototypeValidationIssue>),
}

pub(crate) type PrototypeResult<T> = Result<T, PrototypeError>;

impl PrototypeError {
    pub(crate) fn not_found(detail: impl Into<String>) -> Self {
        PrototypeError::Detail(StatusCode::NOT_FOUND, detail.into())
    }

    /// How a registry service's error reads on a route about the variable `name`: an unknown
    /// (or deleted) variable answers the prototype's own `Variable NAME not found`.
    pub(crate) fn for_variable(name: &str) -> impl Fn(AppError) -> PrototypeError + '_ {
        move |error| match error {
            AppError::NotFound(what) if what == format!("variable {name:?}") => {
                PrototypeError::not_found(format!("Variable {name} not found"))
            }
            other => PrototypeError::from(other),
        }
    }
}

impl From<AppError> for PrototypeError {
    fn from(error: AppError) -> Self {
        if let AppError::Validation { field, message } = &error {
            return PrototypeError::Invalid(vec![value_error(field, message)]);
        }
        PrototypeError::Detail(crate::rest::status_of(&error), error.to_string())
    }
}

impl IntoResponse for PrototypeError {
    fn into_response(self) -> Response {
        match self {
            PrototypeError::Detail(status, detail) => {
                (status, Json(PrototypeErrorBody { detail })).into_response()
            }
            PrototypeError::Invalid(detail) => (
                StatusCode::UNPROCESSABLE_ENTITY,
                Json(PrototypeValidationBody { detail }),
            )
                .into_response(),
        }
    }
}

/// A broken rule of the body's field at the dotted path `field`, as pydantic reports a
/// validator's `ValueError`.
pub(crate) fn value_error(field: &str, message: &str) -> PrototypeValidationIssue {
    PrototypeValidationIssue::new(
        location_of("body", field),
        "value_error",
        format!("Value error, {message}"),
    )
}

fn issue(loc: Vec<LocationPart>, kind: &str, msg: impl Into<String>) -> PrototypeValidationIssue {
    PrototypeValidationIssue::new(loc, kind, msg)
}

/// Query parameters read as FastAPI reads them: the last value of a repeated name counts,
/// unknown names are ignored, and every value that does not parse is reported at once.
pub(crate) struct QueryReader {
    pairs: Vec<(String, String)>,
    issues: Vec<PrototypeValidationIssue>,
}

impl QueryReader {
    pub(crate) fn new(pairs: Vec<(String, String)>) -> Self {
        QueryReader {
            pairs,
            issues: Vec::new(),
        }
    }

    fn raw(&self, name: &str) -> Option<&str> {
        self.pairs
            .iter()
            .rev()
            .find(|(key, _)| key == name)
            .map(|(_, value)| value.as_str())
    }

    pub(crate) fn text(&self, name: &str) -> Option<String> {
        self.raw(name).map(str::to_string)
    }

    /// An integer within `min..=max`.
    pub(crate) fn integer(&mut self, name: &str, min: i64, max: i64) -> Option<i64> {
        let raw = self.raw(name)?;
        let loc = vec![LocationPart::from("query"), LocationPart::from(name)];
        let Ok(value) = raw.trim().parse::<i64>() else {
            self.issues.push(issue(
                loc,
                "int_parsing",
                "Input should be a valid integer, unable to parse string as an integer",
            ));
            return None;
        };
        if value < min {
            self.issues.push(issue(
                loc,
                "greater_than_equal",
                format!("Input should be greater than or equal to {min}"),
            ));
            return None;
        }
        if value > max {
            self.issues.push(issue(
                loc,
                "less_than_equal",
                format!("Input should be less than or equal to {max}"),
            ));
            return None;
        }
        Some(value)
    }

    /// A boolean as pydantic reads one from text: true/false, 1/0, yes/no, on/off, t/f, y/n.
    pub(crate) fn boolean(&mut self, name: &str) -> Option<bool> {
        let raw = self.raw(name)?.trim().to_ascii_lowercase();
        match raw.as_str() {
            "1" | "true" | "t" | "yes" | "y" | "on" => Some(true),
            "0" | "false" | "f" | "no" | "n" | "off" => Some(false),
            _ => {
                self.issues.push(issue(
                    vec![LocationPart::from("query"), LocationPart::from(name)],
                    "bool_parsing",
                    "Input should be a valid boolean, unable to interpret input",
                ));
                None
            }
        }
    }

    /// Every problem found, or nothing.
    pub(crate) fn finish(self) -> PrototypeResult<()> {
        if self.issues.is_empty() {
            Ok(())
        } else {
            Err(PrototypeError::Invalid(self.issues))
        }
    }
}

/// A JSON body read as FastAPI reads a pydantic model: a JSON object whose known fields are
/// checked one by one (unknown fields ignored), every problem reported at once.
pub(crate) struct BodyReader {
    object: Map<String, Value>,
    issues: Vec<PrototypeValidationIssue>,
}

fn body_loc(name: &str) -> Vec<LocationPart> {
    vec![LocationPart::from("body"), LocationPart::from(name)]
}

impl BodyReader {
    /// The body as a JSON object, or the 422 FastAPI answers for a missing, malformed or
    /// non-object body.
    pub(crate) fn parse(bytes: &[u8]) -> PrototypeResult<BodyReader> {
        if bytes.iter().all(u8::is_ascii_whitespace) {
            return Err(PrototypeError::Invalid(vec![issue(
                vec![LocationPart::from("body")],
                "missing",
                "Field required",
            )]));
        }
        let value: Value = serde_json::from_slice(bytes).map_err(|e| {
            PrototypeError::Invalid(vec![issue(
                vec![
                    LocationPart::from("body"),
                    LocationPart::Index(e.column() as u64),
                ],
                "json_invalid",
                format!("JSON decode error: {e}"),
            )])
        })?;
        match value {
            Value::Object(object) => Ok(BodyReader {
                object,
                issues: Vec::new(),
            }),
            _ => Err(PrototypeError::Invalid(vec![issue(
                vec![LocationPart::from("body")],
                "model_attributes_type",
                "Input should be a valid dictionary or object to extract fields from",
            )])),
        }
    }

    /// The field's value; absent and `null` are both `None`.
    pub(crate) fn value(&self, name: &str) -> Option<&Value> {
        self.object.get(name).filter(|v| !v.is_null())
    }

    /// Reports a required field that is absent or `null`.
    pub(crate) fn require<T>(&mut self, name: &str, value: Option<T>) -> Option<T> {
        if value.is_none() && self.value(name).is_none() {
            self.issues
                .push(issue(body_loc(name), "missing", "Field required"));
        }
        value
    }

    pub(crate) fn string(&mut self, name: &str) -> Option<String> {
        match self.value(name)? {
            Value::String(text) => Some(text.clone()),
            _ => {
                self.issues.push(issue(
                    body_loc(name),
                    "string_type",
                    "Input should be a valid string",
                ));
                None
            }
        }
    }

    pub(crate) fn integer(&mut self, name: &str) -> Option<i32> {
        let value = self.value(name)?;
        match value.as_i64().and_then(|n| i32::try_from(n).ok()) {
            Some(n) => Some(n),
            None => {
                self.issues.push(issue(
                    body_loc(name),
                    "int_type",
                    "Input should be a valid integer between -2147483648 and 2147483647",
                ));
                None
            }
        }
    }

    pub(crate) fn boolean(&mut self, name: &str) -> Option<bool> {
        match self.value(name)? {
            Value::Bool(flag) => Some(*flag),
            _ => {
                self.issues.push(issue(
                    body_loc(name),
                    "bool_type",
                    "Input should be a valid boolean",
                ));
                None
            }
        }
    }

    /// One of `choices` (each spelled as on the wire), as pydantic reports an enum.
    pub(crate) fn choice<T: Copy>(&mut self, name: &str, choices: &[(&str, T)]) -> Option<T> {
        let value = self.value(name)?;
        let found = value
            .as_str()
            .and_then(|text| choices.iter().find(|(spelling, _)| *spelling == text));
        match found {
            Some((_, choice)) => Some(*choice),
            None => {
                let quoted: Vec<String> = choices.iter().map(|(s, _)| format!("'{s}'")).collect();
                let listed = match quoted.split_last() {
                    Some((last, rest)) if !rest.is_empty() => {
                        format!("{} or {last}", rest.join(", "))
                    }
                    _ => quoted.join(""),
                };
                self.issues.push(issue(
                    body_loc(name),
                    "enum",
                    format!("Input should be {listed}"),
                ));
                None
            }
        }
    }

    /// A list of strings with at most `max` items; each item's problem names its index.
    pub(crate) fn strings(&mut self, name: &str, max: usize) -> Option<Vec<String>> {
        let Some(Value::Array(items)) = self.value(name) else {
            if self.value(name).is_some() {
                self.issues.push(issue(
                    body_loc(name),
                    "list_type",
                    "Input should be a valid list",
                ));
            }
            return None;
        };
        if items.len() > max {
            self.issues.push(issue(
                body_loc(name),
                "too_long",
                format!(
                    "List should have at most {max} items after validation, not {}",
                    items.len()
                ),
            ));
            return None;
        }
        let mut strings = Vec::with_capacity(items.len());
        let mut bad = Vec::new();
        for (index, item) in items.iter().enumerate() {
            match item {
                Value::String(text) => strings.push(text.clone()),
                _ => bad.push(issue(
                    vec![
                        LocationPart::from("body"),
                        LocationPart::from(name),
                        LocationPart::Index(index as u64),
                    ],
                    "string_type",
                    "Input should be a valid string",
                )),
            }
        }
        if bad.is_empty() {
            Some(strings)
        } else {
            self.issues.extend(bad);
            None
        }
    }

    /// Every problem found, or nothing.
    pub(crate) fn finish(self) -> PrototypeResult<()> {
        self.finish_into_object().map(|_| ())
    }

    /// Every problem found, or the body's object for a typed reading.
    pub(crate) fn finish_into_object(self) -> PrototypeResult<Map<String, Value>> {
        if self.issues.is_empty() {
            Ok(self.object)
        } else {
            Err(PrototypeError::Invalid(self.issues))
        }
    }
}
