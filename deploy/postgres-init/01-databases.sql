-- Run once by the official postgres image on an empty data volume
-- (/docker-entrypoint-initdb.d). One database per service; `slagkracht migrate` creates the
-- tables (and the btree_gist extension) in each.
CREATE DATABASE catalog;
CREATE DATABASE booking;
CREATE DATABASE costsharing;
CREATE DATABASE notify;
