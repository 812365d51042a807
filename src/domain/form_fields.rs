//! Which fields a petition's signing form asks for. Name and email are always asked (a
//! signature is a person, once); staff choose the rest per petition: a campaign among nurses
//! may want the worksite, a public petition only name and email.

use std::fmt;

/// A field staff may add to the signing form.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Field {
    PostalCode,
    Phone,
    Employer,
    JobTitle,
    Worksite,
    Comment,
}

impl Field {
    /// Every choosable field, in the order the form shows them.
    pub const ALL: [Self; 6] =
        [Self::PostalCode, Self::Phone, Self::Employer, Self::JobTitle, Self::Worksite, Self::Comment];

    /// The form field's name (and the stored setting's).
    pub fn name(self) -> &'static str {
        match self {
            Self::PostalCode => "postal_code",
            Self::Phone => "phone",
            Self::Employer => "employer",
            Self::JobTitle => "job_title",
            Self::Worksite => "worksite",
            Self::Comment => "comment",
        }
    }

    pub fn from_name(name: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|f| f.name() == name)
    }

    fn index(self) -> usize {
        self as usize
    }
}

/// Whether the form asks for a field.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum Ask {
    #[default]
    No,
    Optional,
    Required,
}

impl Ask {
    pub const ALL: [Self; 3] = [Self::No, Self::Optional, Self::Required];

    pub fn name(self) -> &'static str {
        match self {
            Self::No => "no",
            Self::Optional => "optional",
            Self::Required => "required",
        }
    }

    pub fn from_name(name: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|a| a.name() == name)
    }
}

/// What the form asks for each choosable field.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct FormFields([Ask; Field::ALL.len()]);

impl Default for FormFields {
    /// A postal code (for counting by region), and an optional phone, employer and comment.
    fn default() -> Self {
        Self::none()
            .with(Field::PostalCode, Ask::Required)
            .with(Field::Phone, Ask::Optional)
            .with(Field::Employer, Ask::Optional)
            .with(Field::Comment, Ask::Optional)
    }
}

impl FormFields {
    /// Name and email only.
    pub fn none() -> Self {
        Self([Ask::No; Field::ALL.len()])
    }

    #[must_use]
    pub fn with(mut self, field: Field, ask: Ask) -> Self {
        self.0[field.index()] = ask;
        self
    }

    pub fn ask(&self, field: Field) -> Ask {
        self.0[field.index()]
    }

    /// Whether the form shows `field`.
    pub fn shows(&self, field: Field) -> bool {
        self.ask(field) != Ask::No
    }

    /// The stored setting (`postal_code:required phone:optional`). Unknown or repeated parts
    /// are ignored, so a setting written by a newer version still reads.
    pub fn parse(stored: &str) -> Self {
        stored.split_whitespace().fold(Self::none(), |fields, part| {
            let parsed = part
                .split_once(':')
                .and_then(|(field, ask)| Some((Field::from_name(field)?, Ask::from_name(ask)?)));
            match parsed {
                Some((field, ask)) => fields.with(field, ask),
                None => fields,
            }
        })
    }
}

/// The stored setting: the fields asked for, in form order.
impl fmt::Display for FormFields {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut first = true;
        for field in Field::ALL.into_iter().filter(|field| self.shows(*field)) {
            if !first {
                f.write_str(" ")?;
            }
            first = false;
            write!(f, "{}:{}", field.name(), self.ask(field).name())?;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_default_is_what_the_form_always_asked() {
        assert_eq!(
            FormFields::default().to_string(),
            "postal_code:required phone:optional employer:optional comment:optional"
        );
        assert_eq!(FormFields::parse(&FormFields::default().to_string()), FormFields::default());
    }

    #[test]
    fn every_setting_reads_back() {
        for field in Field::ALL {
            for ask in Ask::ALL {
                let fields = FormFields::none().with(field, ask);
                assert_eq!(FormFields::parse(&fields.to_string()), fields);
            }
        }
    }

    #[test]
    fn unknown_parts_are_ignored() {
        let fields = FormFields::parse("  worksite:required shoe_size:required phone:maybe comment ");
        assert_eq!(fields, FormFields::none().with(Field::Worksite, Ask::Required));
        assert_eq!(FormFields::parse(""), FormFields::none());
    }
}
