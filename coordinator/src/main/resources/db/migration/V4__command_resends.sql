-- A command nobody answered is sent again (a crashed Redis may have lost it); counted, so that it stops.
alter table outbox add column resends integer not null default 0;

-- The sweep asks every second which stages still wait for their owner's first word.
create index stages_awaiting_start on stages (triggered_at) where status = 'TRIGGERED';
