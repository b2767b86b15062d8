//! Notification e-mail over SMTP, through `lettre`. A notification is
//! written with the change it tells of; the e-mail is sent afterwards from
//! the outbox (see `background`), so a slow or absent mail server never
//! slows or fails the change itself.

use crate::config::Config;
use app::ports::OutboxMail;
use lettre::message::header::ContentType;
use lettre::message::Mailbox;
use lettre::transport::smtp::authentication::Credentials;
use lettre::{AsyncSmtpTransport, AsyncTransport, Message, Tokio1Executor};

pub struct Mailer {
    transport: AsyncSmtpTransport<Tokio1Executor>,
    from: Mailbox,
    public_url: String,
}

impl std::fmt::Debug for Mailer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Mailer").field("from", &self.from.to_string()).finish_non_exhaustive()
    }
}

impl Mailer {
    /// The mailer the configuration asks for: none without `smtp_host`.
    pub fn from_config(config: &Config, public_url: &str) -> Result<Option<Mailer>, String> {
        let Some(host) = config.smtp_host.as_deref().map(str::trim).filter(|h| !h.is_empty()) else { return Ok(None) };
        let (name, port) = match host.rsplit_once(':') {
            Some((name, port)) => {
                (name, Some(port.parse::<u16>().map_err(|_| format!("MYAPPS_SMTP_HOST: {port:?} is not a port number"))?))
            }
            None => (host, None),
        };
        let builder = match config.smtp_tls.as_str() {
            "tls" => AsyncSmtpTransport::<Tokio1Executor>::relay(name).map_err(|e| format!("MYAPPS_SMTP_HOST: {e}"))?,
            "none" => AsyncSmtpTransport::<Tokio1Executor>::builder_dangerous(name),
            _ => AsyncSmtpTransport::<Tokio1Executor>::starttls_relay(name).map_err(|e| format!("MYAPPS_SMTP_HOST: {e}"))?,
        };
        let builder = match port {
            Some(port) => builder.port(port),
            None if config.smtp_tls == "none" => builder.port(25),
            None => builder,
        };
        let builder = match (&config.smtp_username, &config.smtp_password) {
            (Some(user), Some(password)) => builder.credentials(Credentials::new(user.clone(), password.0.clone())),
            (Some(_), None) | (None, Some(_)) => return Err("set both MYAPPS_SMTP_USERNAME and MYAPPS_SMTP_PASSWORD, or neither".into()),
            (None, None) => builder,
        };
        let from = config.smtp_from.parse::<Mailbox>().map_err(|e| format!("MYAPPS_SMTP_FROM: {e}"))?;
        let transport = builder.timeout(Some(std::time::Duration::from_secs(20))).build();
        Ok(Some(Mailer { transport, from, public_url: public_url.trim_end_matches('/').to_string() }))
    }

    /// The message for a notification: its title as the subject, its text,
    /// and the full address of the page it links to.
    pub fn message(&self, mail: &OutboxMail) -> Result<Message, String> {
        let to = mail.to.parse::<Mailbox>().map_err(|e| format!("recipient address: {e}"))?;
        let mut text = mail.body.clone();
        if let Some(link) = &mail.link {
            text.push_str(&format!("\n\nOpen it in My Apps: {}{}", self.public_url, link));
        }
        text.push_str("\n\n-- \nMy Apps. You get this because of a request in your organisation's portal.\n");
        Message::builder()
            .from(self.from.clone())
            .to(to)
            .subject(mail.title.clone())
            .header(ContentType::TEXT_PLAIN)
            .body(text)
            .map_err(|e| format!("message: {e}"))
    }

    pub async fn send(&self, mail: &OutboxMail) -> Result<(), String> {
        let message = self.message(mail)?;
        self.transport.send(message).await.map(|_| ()).map_err(|e| e.to_string())
    }
}
