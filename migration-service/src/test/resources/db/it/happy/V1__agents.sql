CREATE TABLE agents (
    id serial PRIMARY KEY,
    name varchar(100) NOT NULL
);
