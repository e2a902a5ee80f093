//! What is wrong with a `config.yaml`: every problem of the file, each with its position, the field
//! path it concerns and the rule it breaks, printed one per line as `file:line:column: path: rule`.

use std::fmt;

/// One broken rule of the file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SiteFileProblem {
    pub file: String,
    /// 1-based.
    pub line: usize,
    /// 1-based.
    pub column: usize,
    /// The field the problem is about, as `inverters[2].adapter.baudrate`; empty for the file as a
    /// whole (a YAML syntax error).
    pub path: String,
    /// The rule that was broken, in plain words.
    pub message: String,
}

impl fmt::Display for SiteFileProblem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}:{}:{}: ", self.file, self.line, self.column)?;
        if !self.path.is_empty() {
            write!(f, "{}: ", self.path)?;
        }
        f.write_str(&self.message)
    }
}

/// Every problem of one file, in file order (by line, then column). Never empty when returned
/// as an error.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct SiteFileProblems {
    pub problems: Vec<SiteFileProblem>,
}

impl SiteFileProblems {
    pub fn len(&self) -> usize {
        self.problems.len()
    }

    pub fn is_empty(&self) -> bool {
        self.problems.is_empty()
    }
}

impl fmt::Display for SiteFileProblems {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (index, problem) in self.problems.iter().enumerate() {
            if index > 0 {
                f.write_str("\n")?;
            }
            write!(f, "{problem}")?;
        }
        Ok(())
    }
}

impl std::error::Error for SiteFileProblems {}

#[cfg(test)]
mod tests {
    use super::*;

    fn problem(line: usize, path: &str, message: &str) -> SiteFileProblem {
        SiteFileProblem {
            file: "config.yaml".into(),
            line,
            column: 7,
            path: path.into(),
            message: message.into(),
        }
    }

    #[test]
    fn one_problem_per_line() {
        let problems = SiteFileProblems {
            problems: vec![
                problem(
                    12,
                    "inverters[0].array_id",
                    "no inverter array \"array9\" is defined (arrays: array1, array2)",
                ),
                problem(14, "", "malformed YAML: did not find expected key"),
            ],
        };
        assert_eq!(
            problems.to_string(),
            "config.yaml:12:7: inverters[0].array_id: no inverter array \"array9\" is defined \
             (arrays: array1, array2)\nconfig.yaml:14:7: malformed YAML: did not find expected key"
        );
    }
}
