# A developer's .env must not configure the tests (kendama/config.py reads it on import), nor the
# servers, workers and `flask` commands they start, which inherit these.
import os

os.environ["PYTHON_DOTENV_DISABLED"] = "1"  # python-dotenv's own switch, honoured by load_dotenv
os.environ["FLASK_SKIP_DOTENV"] = "1"  # the `flask` command reads .env by itself
