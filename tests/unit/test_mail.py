"""E-mail goes through SMTP when configured and is printed to the console in development."""
from __future__ import annotations

from civicsante import create_app
from civicsante.mail import send_mail


def test_console_backend_prints_the_message(capsys):
    app = create_app({"MAIL_BACKEND": "console", "SQLALCHEMY_DATABASE_URI": "sqlite://"})
    with app.app_context():
        send_mail("habitante@example.org", "Objet accentué", "Bonjour, voici un lien.")
    out = capsys.readouterr().out
    assert "To: habitante@example.org" in out and "Bonjour, voici un lien." in out


def test_smtp_backend_delivers_to_a_real_server(app, mailbox):
    with app.app_context():
        send_mail("ru@example.org", "Réunion de la CDU", "La CDU se réunit jeudi.", html="<p>jeudi</p>")
    message = mailbox.wait_for("ru@example.org")
    assert message["Subject"] == "Réunion de la CDU"
    assert "CivicSanté" in str(message["From"])
    assert mailbox.body(message).strip() == "La CDU se réunit jeudi."
