//! Readers: every input format is read, validated and resolved here into the
//! engine's own types. Nothing downstream sees raw file content.

pub mod holmberg;
pub mod instance_json;
pub mod known_values;
pub mod lorena_senne;
pub mod orlib_cap;
pub mod orlib_pmed;
pub mod orlib_pmedcap;
pub mod schools;
pub mod solution_json;
pub(crate) mod tokens;
pub mod tsplib;

use std::path::Path;

use crate::error::{ErrorCode, InputError, InputErrors, Location};
use crate::problem::{Instance, Model, Rounding};

/// Instance file formats.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
#[cfg_attr(feature = "cli", derive(clap::ValueEnum))]
#[serde(rename_all = "kebab-case")]
pub enum Format {
    /// OR-Library p-median (`pmed1`…`pmed40`).
    OrlibPmed,
    /// OR-Library capacitated warehouse location (`cap41`…`cap134`, `capa`…`capc`).
    OrlibCap,
    /// OR-Library capacitated p-median (`pmedcap1`, Osman & Christofides).
    OrlibPmedcap,
    /// Holmberg et al. single-source CFLP (`p1`…`p71`).
    Holmberg,
    /// Lorena & Senne capacitated p-median (`SJC1`…`SJC4b`, `p3038_600`…`p3038_1000`).
    LorenaSenne,
    /// TSPLIB `EUC_2D` point set, read as p-median.
    Tsplib,
    /// hubplan's own instance JSON.
    Json,
}

impl Format {
    /// The name used on the command line and in solution files (`orlib-pmed`, `json`, …).
    pub fn as_str(self) -> &'static str {
        match self {
            Format::OrlibPmed => "orlib-pmed",
            Format::OrlibCap => "orlib-cap",
            Format::OrlibPmedcap => "orlib-pmedcap",
            Format::Holmberg => "holmberg",
            Format::LorenaSenne => "lorena-senne",
            Format::Tsplib => "tsplib",
            Format::Json => "json",
        }
    }

    /// Guesses the format from a file name (`*.tsp`, `*.json`, `pmed*`, `cap*`,
    /// `p` and digits, `SJC*.dat`, `p3038_*.dat`).
    pub fn detect(path: &Path) -> Option<Format> {
        let name = path.file_name()?.to_string_lossy().to_ascii_lowercase();
        if name.ends_with(".tsp") {
            Some(Format::Tsplib)
        } else if name.ends_with(".json") {
            Some(Format::Json)
        } else if name.starts_with("pmedcap") {
            Some(Format::OrlibPmedcap)
        } else if name.starts_with("pmed") {
            Some(Format::OrlibPmed)
        } else if name.starts_with("cap") {
            Some(Format::OrlibCap)
        } else if name.ends_with(".dat") && (name.starts_with("sjc") || name.starts_with("p3038_")) {
            Some(Format::LorenaSenne)
        } else if name.len() >= 2 && name.starts_with('p') && name[1..].chars().all(|c| c.is_ascii_digit()) {
            Some(Format::Holmberg)
        } else {
            None
        }
    }

    /// The model an instance of this format is read as unless told otherwise.
    pub fn default_model(self) -> Option<Model> {
        match self {
            Format::OrlibPmed | Format::Tsplib => Some(Model::Pmedian),
            Format::OrlibCap => Some(Model::Cflp),
            Format::OrlibPmedcap | Format::LorenaSenne => Some(Model::Cpmp),
            Format::Holmberg => Some(Model::Sscflp),
            Format::Json => None,
        }
    }
}

/// How to read an instance file.
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct ReadOptions {
    /// `None`: detect from the file name.
    pub format: Option<Format>,
    /// `None`: the format's default (JSON: inferred from its fields).
    pub model: Option<Model>,
    /// Number of facilities to open for p-median models; overrides the file's own `p`.
    pub p: Option<usize>,
    /// How Euclidean distances become costs (TSPLIB only).
    pub rounding: Rounding,
    /// Capacity for OR-Library files that write the word `capacity`.
    pub capacity: Option<f64>,
}

impl Default for ReadOptions {
    fn default() -> Self {
        ReadOptions { format: None, model: None, p: None, rounding: Rounding::Nint, capacity: None }
    }
}

/// Reads an instance and interprets it under the requested model.
///
/// # Errors
///
/// Every problem found in the file (unreadable, wrong format, bad values,
/// unknown ids), or the format cannot be told from the file name, or the
/// instance does not fit the requested model (say p-median without `p`).
pub fn read_instance(path: &Path, opts: &ReadOptions) -> Result<Instance, InputErrors> {
    let format = match opts.format.or_else(|| Format::detect(path)) {
        Some(f) => f,
        None => {
            return Err(InputError::new(
                path,
                Location::File,
                ErrorCode::WrongFormat,
                "cannot tell the format from the file name: give --format orlib-pmed|orlib-cap|orlib-pmedcap|holmberg|lorena-senne|tsplib|json",
            )
            .into());
        }
    };
    let inst = match format {
        Format::OrlibPmed => orlib_pmed::read(path)?,
        Format::OrlibCap => {
            // Capacities do not matter for uncapacitated models: accept the word `capacity` as unlimited.
            let uncap = matches!(opts.model, Some(Model::Uflp) | Some(Model::Pmedian));
            let capacity = opts.capacity.or(if uncap { Some(f64::MAX) } else { None });
            orlib_cap::read(path, capacity)?
        }
        Format::OrlibPmedcap => orlib_pmedcap::read(path)?.0,
        Format::Holmberg => holmberg::read(path)?,
        Format::LorenaSenne => lorena_senne::read(path)?,
        Format::Tsplib => tsplib::read(path, opts.rounding)?,
        Format::Json => instance_json::read(path)?,
    };
    let model = opts.model.or(format.default_model()).unwrap_or(inst.model);
    inst.with_model(model, opts.p)
        .map_err(|e| InputError::new(path, Location::File, ErrorCode::Inconsistent, e.to_string()).into())
}
