-- When each release's open stage falls overdue, so the timeout sweep reads an index instead of every live release.
alter table releases add column stage_deadline timestamptz;

create index releases_stage_deadline on releases (stage_deadline) where stage_deadline is not null;

-- Releases open before this column existed: every sweep looks at them until their next event sets the real moment.
update releases set stage_deadline = now() where state in ('RUNNING', 'PAUSED');
