"""Static files: our CSS and JavaScript, and vendored libraries with their licenses."""
