//! JSON through the browser's own `JSON.parse` and `JSON.stringify`.
//!
//! The SPA reads and writes its few JSON documents field by field with [`Object`], instead of
//! carrying serde's generated parser code for every type (a third of the bundle once).
//! [`from_json!`](crate::from_json) reads a struct whose fields are named as their keys, each
//! by its type's [`Field`] impl, as serde's derive would.

use js_sys::{Array, JSON, Reflect};
use wasm_bindgen::{JsCast, JsValue};

/// Why a JSON document was refused: not JSON, or a field missing or of the wrong type.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("{0}")]
pub struct JsonError(pub String);

fn field_error(key: &str, what: &str) -> JsonError {
    JsonError(format!("`{key}` must be {what}"))
}

/// A document the SPA reads: a JSON object.
pub trait FromJson: Sized {
    fn read(object: &Object) -> Result<Self, JsonError>;

    /// Parses the JSON text of a `Self`.
    fn parse(text: &str) -> Result<Self, JsonError> {
        Self::read(&Object::parse(text)?)
    }
}

/// A value read from the field `key` of an object, chosen by its Rust type.
pub trait Field: Sized {
    fn field(object: &Object, key: &str) -> Result<Self, JsonError>;
}

/// Implements [`FromJson`] for structs whose fields are named as their JSON keys:
/// `from_json! { Owner { id, display_name } }` reads each field with its type's [`Field`].
#[macro_export]
macro_rules! from_json {
    ($($ty:ident { $($field:ident),* $(,)? })*) => {$(
        impl $crate::json::FromJson for $ty {
            fn read(o: &$crate::json::Object) -> Result<$ty, $crate::json::JsonError> {
                Ok($ty { $($field: $crate::json::Field::field(o, stringify!($field))?),* })
            }
        }
    )*};
}

/// Implements [`Field`] for each type with the [`Object`] accessor that reads it.
macro_rules! fields_read_by {
    ($($ty:ty => $accessor:ident),* $(,)?) => {$(
        impl Field for $ty {
            fn field(o: &Object, key: &str) -> Result<Self, JsonError> {
                o.$accessor(key)
            }
        }
    )*};
}

fields_read_by! {
    String => str,
    Option<String> => opt_str,
    i64 => int,
    u64 => uint,
    bool => bool,
    Vec<String> => strings,
}

/// A nested object.
impl<T: FromJson> Field for T {
    fn field(o: &Object, key: &str) -> Result<Self, JsonError> {
        T::read(&o.object(key)?)
    }
}

/// An array of objects.
impl<T: FromJson> Field for Vec<T> {
    fn field(o: &Object, key: &str) -> Result<Self, JsonError> {
        o.objects(key, T::read)
    }
}

/// A JSON object, as the browser holds it.
#[derive(Clone, Debug)]
pub struct Object(js_sys::Object);

impl Default for Object {
    fn default() -> Self {
        Object(js_sys::Object::new())
    }
}

impl Object {
    /// Parses `text`, which must be a JSON object.
    pub fn parse(text: &str) -> Result<Object, JsonError> {
        let value = JSON::parse(text).map_err(|_| JsonError("not valid JSON".into()))?;
        Object::from_value(value).ok_or_else(|| JsonError("not a JSON object".into()))
    }

    fn from_value(value: JsValue) -> Option<Object> {
        (value.is_object() && !Array::is_array(&value)).then(|| Object(value.unchecked_into()))
    }

    /// The field `key`; `None` when it is missing or `null`.
    fn get(&self, key: &str) -> Option<JsValue> {
        Reflect::get(&self.0, &JsValue::from_str(key))
            .ok()
            .filter(|v| !v.is_undefined() && !v.is_null())
    }

    /// A string field that may be missing or `null`.
    pub fn opt_str(&self, key: &str) -> Result<Option<String>, JsonError> {
        self.get(key)
            .map(|v| v.as_string().ok_or_else(|| field_error(key, "a string")))
            .transpose()
    }

    /// A string field.
    pub fn str(&self, key: &str) -> Result<String, JsonError> {
        self.opt_str(key)?
            .ok_or_else(|| JsonError(format!("missing field `{key}`")))
    }

    /// An integer field that may be missing or `null`.
    pub fn opt_int(&self, key: &str) -> Result<Option<i64>, JsonError> {
        self.get(key)
            .map(|v| {
                v.as_f64()
                    .filter(|n| n.fract() == 0.0 && n.abs() < 9.0e15)
                    .map(|n| n as i64)
                    .ok_or_else(|| field_error(key, "an integer"))
            })
            .transpose()
    }

    /// An integer field.
    pub fn int(&self, key: &str) -> Result<i64, JsonError> {
        self.opt_int(key)?
            .ok_or_else(|| JsonError(format!("missing field `{key}`")))
    }

    /// A non-negative integer field.
    pub fn uint(&self, key: &str) -> Result<u64, JsonError> {
        u64::try_from(self.int(key)?).map_err(|_| field_error(key, "a non-negative integer"))
    }

    /// A boolean field.
    pub fn bool(&self, key: &str) -> Result<bool, JsonError> {
        self.get(key)
            .and_then(|v| v.as_bool())
            .ok_or_else(|| field_error(key, "true or false"))
    }

    /// An object field.
    pub fn object(&self, key: &str) -> Result<Object, JsonError> {
        self.get(key)
            .and_then(Object::from_value)
            .ok_or_else(|| field_error(key, "an object"))
    }

    /// An array field (missing or `null` is empty), each item read by `item`.
    pub fn list<T>(
        &self,
        key: &str,
        item: impl Fn(JsValue) -> Option<T>,
    ) -> Result<Vec<T>, JsonError> {
        let Some(value) = self.get(key) else {
            return Ok(Vec::new());
        };
        let array = value
            .dyn_into::<Array>()
            .map_err(|_| field_error(key, "an array"))?;
        array
            .iter()
            .map(|v| item(v).ok_or_else(|| field_error(key, "an array of the right items")))
            .collect()
    }

    /// An array of objects, each read by `item`.
    pub fn objects<T>(
        &self,
        key: &str,
        item: impl Fn(&Object) -> Result<T, JsonError>,
    ) -> Result<Vec<T>, JsonError> {
        self.list(key, |v| Object::from_value(v).map(|o| item(&o)))?
            .into_iter()
            .collect()
    }

    /// An array of strings.
    pub fn strings(&self, key: &str) -> Result<Vec<String>, JsonError> {
        self.list(key, |v| v.as_string())
    }

    /// Sets `key` to `value`.
    pub fn set(&self, key: &str, value: &JsValue) -> &Object {
        let _ = Reflect::set(&self.0, &JsValue::from_str(key), value);
        self
    }

    /// Sets `key` to a string.
    pub fn set_str(&self, key: &str, value: &str) -> &Object {
        self.set(key, &JsValue::from_str(value))
    }

    /// Sets `key` to a string when there is one; leaves it out otherwise (as serde's
    /// `skip_serializing_if = "Option::is_none"` does).
    pub fn set_opt_str(&self, key: &str, value: Option<&str>) -> &Object {
        if let Some(value) = value {
            self.set_str(key, value);
        }
        self
    }

    /// Sets `key` to a number.
    pub fn set_num(&self, key: &str, value: f64) -> &Object {
        self.set(key, &JsValue::from_f64(value))
    }

    /// Sets `key` to an array of strings.
    pub fn set_strings(&self, key: &str, values: &[String]) -> &Object {
        let array: Array = values.iter().map(|s| JsValue::from_str(s)).collect();
        self.set(key, &array)
    }

    /// Sets `key` to an object.
    pub fn set_object(&self, key: &str, value: &Object) -> &Object {
        self.set(key, &value.0)
    }

    /// The JSON text of this object.
    pub fn stringify(&self) -> String {
        JSON::stringify(&self.0)
            .ok()
            .and_then(|s| s.as_string())
            .unwrap_or_default()
    }
}
