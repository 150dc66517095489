CREATE TABLE runs (id int PRIMARY KEY, state text);
