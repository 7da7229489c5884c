"""The framework's own ceiling: a bare Flask app answering "hello", served exactly like the real one."""

from flask import Flask

app = Flask(__name__)


@app.get("/healthz")
@app.get("/")
def hello():
    return "hello"
