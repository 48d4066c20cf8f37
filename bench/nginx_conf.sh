#!/usr/bin/env bash
# The benchmarks' nginx: serves $WORK/www on 127.0.0.1:PORT, issues from
# issue.json; extra location lines as the third argument.
# usage: bench/nginx_conf.sh WORK PORT [EXTRA] > WORK/nginx.conf
set -euo pipefail
WORK=$1 PORT=$2 EXTRA=${3:-}
cat <<CONF
worker_processes 1;
pid $WORK/nginx.pid;
error_log $WORK/nginx-error.log;
daemon on;
events { worker_connections 1024; }
http {
  access_log off;
  keepalive_requests 1000000;
  client_body_temp_path $WORK/tmp;
  proxy_temp_path $WORK/tmp;
  fastcgi_temp_path $WORK/tmp;
  uwsgi_temp_path $WORK/tmp;
  scgi_temp_path $WORK/tmp;
  server {
    listen 127.0.0.1:$PORT;
    root $WORK/www;
    default_type application/json;
    location /rest/api/2/issue/ { try_files /issue.json =404; }
    $EXTRA
  }
}
CONF
