"""Tests of the Streamlit app shell (AppTest) and its sign-in routes."""
