"""Server-rendered pages: home, login, register, meeting list, live meeting page."""
from __future__ import annotations

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_login import current_user, login_required, logout_user
from flask_wtf import FlaskForm
from wtforms import EmailField, PasswordField, StringField, TextAreaField
from wtforms.validators import DataRequired, Length, Optional

from .api import pagination
from .auth import authenticate, create_user, start_session
from .errors import ApiError, error_response
from .extensions import db
from .meetings import get_meeting, list_meetings
from .models import Meeting

bp = Blueprint("pages", __name__)


class LoginForm(FlaskForm):
    login = StringField("Email or username", validators=[DataRequired(), Length(max=254)])
    password = PasswordField("Password", validators=[DataRequired(), Length(max=200)])


class RegisterForm(FlaskForm):
    email = EmailField("Email", validators=[DataRequired(), Length(max=254)])  # checked in create_user
    username = StringField("Username", validators=[DataRequired(), Length(3, 40)])
    display_name = StringField("Display name", validators=[Optional(), Length(max=100)])
    password = PasswordField("Password", validators=[DataRequired(), Length(8, 200)])


class MeetingForm(FlaskForm):
    title = StringField("Title", validators=[DataRequired(), Length(1, 200)])
    description = TextAreaField("Description", validators=[Optional(), Length(max=5000)])


def unauthorized():
    """Send pages to the login form and API clients a 401 JSON error."""
    if request.path.startswith("/api/") or request.is_json:
        return error_response(401, "log in first (your session may have expired)")
    return redirect(url_for("pages.login", next=request.path))


@bp.get("/")
def index():
    return render_template("index.html")


@bp.route("/login", methods=["GET", "POST"])
def login():
    form = LoginForm()
    if form.validate_on_submit():
        user = authenticate(form.login.data.strip(), form.password.data)
        if user is not None:
            start_session(user)
            return redirect(url_for("pages.meetings"))
        form.password.errors.append("Wrong email/username or password.")
    status = 400 if form.errors else 200
    return render_template("login.html", form=form), status


@bp.route("/register", methods=["GET", "POST"])
def register():
    form = RegisterForm()
    if form.validate_on_submit():
        try:
            user = create_user(form.email.data.strip(), form.username.data.strip(),
                               form.password.data, (form.display_name.data or "").strip() or None)
        except ApiError as err:
            form.email.errors.append(err.message)
        else:
            start_session(user)
            return redirect(url_for("pages.meetings"))
    status = 400 if form.errors else 200
    return render_template("register.html", form=form), status


@bp.post("/logout")
def logout():
    logout_user()
    flash("You are logged out.")
    return redirect(url_for("pages.index"))


@bp.route("/meetings", methods=["GET", "POST"])
@login_required
def meetings():
    form = MeetingForm()
    if form.validate_on_submit():
        meeting = Meeting(owner_id=current_user.id, title=form.title.data.strip(),
                          description=(form.description.data or "").strip() or None)
        db.session.add(meeting)
        db.session.commit()
        return redirect(url_for("pages.meeting", meeting_id=meeting.id))
    page, per_page = pagination()
    rows, total = list_meetings(current_user.id, page, per_page)
    status = 400 if form.errors else 200
    return render_template("meetings.html", form=form, meetings=rows, page=page,
                           pages=max(1, (total + per_page - 1) // per_page)), status


@bp.get("/meetings/<id:meeting_id>")
@login_required
def meeting(meeting_id: int):
    try:
        found = get_meeting(meeting_id)
    except ApiError:
        abort(404, f"meeting {meeting_id} not found")
    segments = found.segments.limit(500).all()
    return render_template("meeting.html", meeting=found, segments=segments)
