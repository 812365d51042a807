//! The words of the public pages, in English and Spanish.

use crate::domain::FieldError;

/// A page language. Unknown tags fall back to English.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum Locale {
    #[default]
    En,
    Es,
}

impl Locale {
    pub fn parse(tag: &str) -> Self {
        match tag.get(..2).map(str::to_ascii_lowercase).as_deref() {
            Some("es") => Self::Es,
            _ => Self::En,
        }
    }

    pub fn tag(self) -> &'static str {
        match self {
            Self::En => "en",
            Self::Es => "es",
        }
    }

    pub fn strings(self) -> &'static Strings {
        match self {
            Self::En => &EN,
            Self::Es => &ES,
        }
    }
}

/// Every fixed phrase a public page shows.
pub struct Strings {
    pub site_tagline: &'static str,
    pub open_campaigns: &'static str,
    pub no_open_campaigns: &'static str,
    pub sign_heading: &'static str,
    pub letter_sign_heading: &'static str,
    pub given_name: &'static str,
    pub family_name: &'static str,
    pub email: &'static str,
    pub postal_code: &'static str,
    pub phone: &'static str,
    pub employer: &'static str,
    pub comment: &'static str,
    pub optional: &'static str,
    pub email_opt_in: &'static str,
    pub public_name: &'static str,
    pub sign_button: &'static str,
    pub letter_sign_button: &'static str,
    pub privacy_note: &'static str,
    pub honeypot_label: &'static str,
    pub errors_summary: &'static str,
    pub signature: &'static str,
    pub signatures: &'static str,
    pub goal: &'static str,
    pub to_recipients: &'static str,
    pub thanks_title: &'static str,
    pub thanks_body: &'static str,
    pub share_heading: &'static str,
    pub your_link: &'static str,
    pub already_title: &'static str,
    pub already_body: &'static str,
    pub not_open_title: &'static str,
    pub draft_body: &'static str,
    pub closed_body: &'static str,
    pub not_found_title: &'static str,
    pub not_found_body: &'static str,
    pub too_many_title: &'static str,
    pub too_many_body: &'static str,
    pub too_large_title: &'static str,
    pub too_large_body: &'static str,
    pub error_title: &'static str,
    pub error_body: &'static str,
    pub back_to_petition: &'static str,
    pub all_campaigns: &'static str,
    pub share_text: &'static str,
    pub read_letter: &'static str,
}

impl Strings {
    /// `1,234 signatures` / `1.234 firmas`.
    pub fn count(&self, n: i64) -> String {
        let noun = if n == 1 { self.signature } else { self.signatures };
        format!("{} {noun}", self.number(n))
    }

    /// Groups thousands the local way.
    pub fn number(&self, n: i64) -> String {
        let sep = if std::ptr::eq(self, &ES) { '.' } else { ',' };
        let digits = n.unsigned_abs().to_string();
        let mut out = String::with_capacity(digits.len() + digits.len() / 3 + 1);
        if n < 0 {
            out.push('-');
        }
        for (i, c) in digits.chars().enumerate() {
            if i > 0 && (digits.len() - i).is_multiple_of(3) {
                out.push(sep);
            }
            out.push(c);
        }
        out
    }

    pub fn of_goal(&self, goal: i64) -> String {
        format!("{} {}", self.goal, self.number(goal))
    }

    pub fn field_error(&self, e: FieldError) -> String {
        let es = std::ptr::eq(self, &ES);
        match (e, es) {
            (FieldError::Required, false) => "This field is required.".into(),
            (FieldError::Required, true) => "Este campo es obligatorio.".into(),
            (FieldError::TooLong(n), false) => format!("Please use at most {n} characters."),
            (FieldError::TooLong(n), true) => format!("Usa como máximo {n} caracteres."),
            (FieldError::ControlChars, false) => "Please remove the special characters.".into(),
            (FieldError::ControlChars, true) => "Quita los caracteres especiales.".into(),
            (FieldError::InvalidName, false) => "Please enter a name, starting with a letter.".into(),
            (FieldError::InvalidName, true) => "Escribe un nombre que empiece por una letra.".into(),
            (FieldError::InvalidEmail, false) => {
                "Please enter an email address like name@example.com.".into()
            }
            (FieldError::InvalidEmail, true) => {
                "Escribe un correo electrónico como nombre@ejemplo.com.".into()
            }
            (FieldError::InvalidPostalCode("US"), false) => {
                "Please enter a 5-digit ZIP code, like 94110.".into()
            }
            (FieldError::InvalidPostalCode("US"), true) => {
                "Escribe un código postal de 5 dígitos, como 94110.".into()
            }
            (FieldError::InvalidPostalCode(_), false) => "Please enter a valid postal code.".into(),
            (FieldError::InvalidPostalCode(_), true) => "Escribe un código postal válido.".into(),
            (FieldError::InvalidPhone, false) => {
                "Please enter a phone number with 7 to 15 digits, or leave it empty.".into()
            }
            (FieldError::InvalidPhone, true) => {
                "Escribe un teléfono de 7 a 15 dígitos, o déjalo vacío.".into()
            }
        }
    }
}

static EN: Strings = Strings {
    site_tagline: "Sign, share, and stand together.",
    open_campaigns: "Open petitions and letters",
    no_open_campaigns: "There are no open petitions right now.",
    sign_heading: "Sign the petition",
    letter_sign_heading: "Add your name to the letter",
    given_name: "First name",
    family_name: "Last name",
    email: "Email",
    postal_code: "ZIP / postal code",
    phone: "Mobile phone",
    employer: "Employer",
    comment: "Why are you signing?",
    optional: "optional",
    email_opt_in: "Email me updates about this campaign.",
    public_name: "Show my name on the delivered letter.",
    sign_button: "Sign now",
    letter_sign_button: "Add my name",
    privacy_note: "We never sell your data. Your name is never shown publicly unless you choose.",
    honeypot_label: "Leave this field empty",
    errors_summary: "Please fix the highlighted fields.",
    signature: "signature",
    signatures: "signatures",
    goal: "Goal:",
    to_recipients: "To:",
    thanks_title: "Thank you for signing!",
    thanks_body: "Your signature has been counted. Sharing is the best way to help now.",
    share_heading: "Share it",
    your_link: "Your personal link",
    already_title: "You have already signed",
    already_body: "Thank you: your signature was already counted, so nothing has changed. You can still share the petition.",
    not_open_title: "This petition is not open",
    draft_body: "This petition is not open for signatures yet.",
    closed_body: "This petition is closed and no longer accepts signatures. Thank you for your support.",
    not_found_title: "Page not found",
    not_found_body: "We could not find that page. It may have moved or the link may be incomplete.",
    too_many_title: "Too many requests",
    too_many_body: "Please wait a moment and try again.",
    too_large_title: "Too much data",
    too_large_body: "What you sent was too large. Please shorten it and try again.",
    error_title: "Something went wrong",
    error_body: "Sorry, we could not finish that. Please try again in a moment; nothing you sent was counted twice.",
    back_to_petition: "Back to the petition",
    all_campaigns: "All petitions",
    share_text: "I just signed this. Will you add your name?",
    read_letter: "Read the letter",
};

static ES: Strings = Strings {
    site_tagline: "Firma, comparte y únete.",
    open_campaigns: "Peticiones y cartas abiertas",
    no_open_campaigns: "No hay peticiones abiertas en este momento.",
    sign_heading: "Firma la petición",
    letter_sign_heading: "Añade tu nombre a la carta",
    given_name: "Nombre",
    family_name: "Apellidos",
    email: "Correo electrónico",
    postal_code: "Código postal",
    phone: "Teléfono móvil",
    employer: "Empleador",
    comment: "¿Por qué firmas?",
    optional: "opcional",
    email_opt_in: "Quiero recibir novedades de esta campaña por correo.",
    public_name: "Mostrar mi nombre en la carta entregada.",
    sign_button: "Firmar ahora",
    letter_sign_button: "Añadir mi nombre",
    privacy_note: "Nunca vendemos tus datos. Tu nombre nunca se muestra públicamente si no lo eliges.",
    honeypot_label: "Deja este campo vacío",
    errors_summary: "Corrige los campos señalados.",
    signature: "firma",
    signatures: "firmas",
    goal: "Meta:",
    to_recipients: "Para:",
    thanks_title: "¡Gracias por firmar!",
    thanks_body: "Tu firma ha sido contada. Compartir es la mejor forma de ayudar ahora.",
    share_heading: "Compártela",
    your_link: "Tu enlace personal",
    already_title: "Ya has firmado",
    already_body: "Gracias: tu firma ya estaba contada, así que nada ha cambiado. Aún puedes compartir la petición.",
    not_open_title: "Esta petición no está abierta",
    draft_body: "Esta petición todavía no admite firmas.",
    closed_body: "Esta petición está cerrada y ya no admite firmas. Gracias por tu apoyo.",
    not_found_title: "Página no encontrada",
    not_found_body: "No encontramos esa página. Puede que se haya movido o que el enlace esté incompleto.",
    too_many_title: "Demasiadas solicitudes",
    too_many_body: "Espera un momento y vuelve a intentarlo.",
    too_large_title: "Demasiados datos",
    too_large_body: "Lo que enviaste es demasiado grande. Acórtalo y vuelve a intentarlo.",
    error_title: "Algo salió mal",
    error_body: "Lo sentimos, no pudimos terminar. Inténtalo de nuevo en un momento; nada se contó dos veces.",
    back_to_petition: "Volver a la petición",
    all_campaigns: "Todas las peticiones",
    share_text: "Acabo de firmar esto. ¿Añades tu nombre?",
    read_letter: "Leer la carta",
};

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn numbers_group_thousands_locally() {
        assert_eq!(Locale::En.strings().number(1234567), "1,234,567");
        assert_eq!(Locale::Es.strings().number(1234), "1.234");
        assert_eq!(Locale::En.strings().number(999), "999");
        assert_eq!(Locale::En.strings().count(0), "0 signatures");
        assert_eq!(Locale::En.strings().count(1), "1 signature");
        assert_eq!(Locale::Es.strings().count(1), "1 firma");
        assert_eq!(Locale::parse("es-MX"), Locale::Es);
        assert_eq!(Locale::parse("fr"), Locale::En);
    }
}
