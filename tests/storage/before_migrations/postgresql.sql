-- The statements with which Resonanz created its schema on PostgreSQL before it had migrations
-- (create_schema: SQLModel.metadata.create_all of storage/tables.py at commit f7247a1),
-- trailing blanks removed. Recorded once and never regenerated: the migration tests build
-- databases "made before migrations" from it.

CREATE TABLE asking_count (
	tag VARCHAR(64) NOT NULL,
	bucket INTEGER NOT NULL,
	count INTEGER NOT NULL,
	PRIMARY KEY (tag)
);

CREATE INDEX ix_asking_count_bucket ON asking_count (bucket);

CREATE TABLE card_lease (
	card_key VARCHAR(64) NOT NULL,
	holder VARCHAR(64),
	expires_at TIMESTAMP WITH TIME ZONE NOT NULL,
	edited_at TIMESTAMP WITH TIME ZONE,
	shown VARCHAR(64),
	requested FLOAT,
	PRIMARY KEY (card_key)
);

CREATE TABLE chat (
	conversation_id VARCHAR(512) NOT NULL,
	service_url VARCHAR(512) NOT NULL,
	tenant_id VARCHAR(128) NOT NULL,
	bot_id VARCHAR(256) NOT NULL,
	meeting_id VARCHAR(512),
	PRIMARY KEY (conversation_id)
);

CREATE TABLE presence (
	meeting_id VARCHAR(512) NOT NULL,
	member_id VARCHAR(256) NOT NULL,
	name VARCHAR(256) NOT NULL,
	aad_object_id VARCHAR(64),
	present BOOLEAN NOT NULL,
	PRIMARY KEY (meeting_id, member_id)
);

CREATE TABLE timer_run (
	job VARCHAR(64) NOT NULL,
	last_run_at TIMESTAMP WITH TIME ZONE NOT NULL,
	PRIMARY KEY (job)
);

CREATE TABLE breakout (
	id VARCHAR(64) NOT NULL,
	conversation_id VARCHAR(512) NOT NULL,
	meeting_id VARCHAR(512),
	creator_key VARCHAR(64) NOT NULL,
	locale VARCHAR(8) NOT NULL,
	status VARCHAR(16) NOT NULL,
	source VARCHAR(16) NOT NULL,
	groups INTEGER NOT NULL,
	size INTEGER,
	duration_minutes INTEGER,
	topics_json VARCHAR NOT NULL,
	apart_json VARCHAR NOT NULL,
	together_json VARCHAR NOT NULL,
	created_at TIMESTAMP WITH TIME ZONE NOT NULL,
	started_at TIMESTAMP WITH TIME ZONE,
	ends_at TIMESTAMP WITH TIME ZONE,
	reminded BOOLEAN NOT NULL,
	time_up_sent BOOLEAN NOT NULL,
	card_activity_id VARCHAR(256),
	PRIMARY KEY (id),
	FOREIGN KEY(conversation_id) REFERENCES chat (conversation_id)
);

CREATE INDEX ix_breakout_conversation_id ON breakout (conversation_id);

CREATE INDEX ix_breakout_meeting_id ON breakout (meeting_id);

CREATE INDEX ix_breakout_status ON breakout (status);

CREATE TABLE meeting (
	id VARCHAR(64) NOT NULL,
	conversation_id VARCHAR(512) NOT NULL,
	teams_meeting_id VARCHAR(512),
	title VARCHAR(512) NOT NULL,
	started_at TIMESTAMP WITH TIME ZONE NOT NULL,
	ended_at TIMESTAMP WITH TIME ZONE,
	attendees INTEGER,
	summary_json VARCHAR,
	purged BOOLEAN NOT NULL,
	PRIMARY KEY (id),
	FOREIGN KEY(conversation_id) REFERENCES chat (conversation_id)
);

CREATE INDEX ix_meeting_conversation_id ON meeting (conversation_id);

CREATE INDEX ix_meeting_teams_meeting_id ON meeting (teams_meeting_id);

CREATE TABLE poll (
	id VARCHAR(64) NOT NULL,
	conversation_id VARCHAR(512) NOT NULL,
	meeting_id VARCHAR(512),
	creator_key VARCHAR(64) NOT NULL,
	locale VARCHAR(8) NOT NULL,
	question VARCHAR NOT NULL,
	options_json VARCHAR NOT NULL,
	kind VARCHAR(16) NOT NULL,
	anonymous BOOLEAN NOT NULL,
	results VARCHAR(16) NOT NULL,
	status VARCHAR(16) NOT NULL,
	revealed BOOLEAN NOT NULL,
	created_at TIMESTAMP WITH TIME ZONE NOT NULL,
	closes_at TIMESTAMP WITH TIME ZONE,
	closed_at TIMESTAMP WITH TIME ZONE,
	card_activity_id VARCHAR(256),
	PRIMARY KEY (id),
	FOREIGN KEY(conversation_id) REFERENCES chat (conversation_id)
);

CREATE INDEX ix_poll_conversation_id ON poll (conversation_id);

CREATE INDEX ix_poll_meeting_id ON poll (meeting_id);

CREATE INDEX ix_poll_status ON poll (status);

CREATE TABLE qna_board (
	id VARCHAR(64) NOT NULL,
	conversation_id VARCHAR(512) NOT NULL,
	meeting_id VARCHAR(512),
	creator_key VARCHAR(64) NOT NULL,
	locale VARCHAR(8) NOT NULL,
	mode VARCHAR(16) NOT NULL,
	created_at TIMESTAMP WITH TIME ZONE NOT NULL,
	card_activity_id VARCHAR(256),
	PRIMARY KEY (id),
	UNIQUE (conversation_id),
	FOREIGN KEY(conversation_id) REFERENCES chat (conversation_id)
);

CREATE INDEX ix_qna_board_meeting_id ON qna_board (meeting_id);

CREATE TABLE ballot (
	poll_id VARCHAR(64) NOT NULL,
	voter_key VARCHAR(64) NOT NULL,
	choices INTEGER NOT NULL,
	answer VARCHAR,
	voter_name VARCHAR(256),
	PRIMARY KEY (poll_id, voter_key),
	FOREIGN KEY(poll_id) REFERENCES poll (id)
);

CREATE TABLE breakout_member (
	breakout_id VARCHAR(64) NOT NULL,
	member_id VARCHAR(256) NOT NULL,
	name VARCHAR(256) NOT NULL,
	aad_object_id VARCHAR(64),
	excluded BOOLEAN NOT NULL,
	group_number INTEGER,
	role VARCHAR(16),
	PRIMARY KEY (breakout_id, member_id),
	FOREIGN KEY(breakout_id) REFERENCES breakout (id)
);

CREATE TABLE breakout_report (
	breakout_id VARCHAR(64) NOT NULL,
	group_number INTEGER NOT NULL,
	points_json VARCHAR NOT NULL,
	note VARCHAR NOT NULL,
	submitted_at TIMESTAMP WITH TIME ZONE NOT NULL,
	PRIMARY KEY (breakout_id, group_number),
	FOREIGN KEY(breakout_id) REFERENCES breakout (id)
);

CREATE TABLE participation (
	meeting_id VARCHAR(64) NOT NULL,
	participant_key VARCHAR(64) NOT NULL,
	PRIMARY KEY (meeting_id, participant_key),
	FOREIGN KEY(meeting_id) REFERENCES meeting (id)
);

CREATE TABLE poll_disclosure (
	poll_id VARCHAR(64) NOT NULL,
	shown_json VARCHAR,
	changes INTEGER NOT NULL,
	last_ballot_at TIMESTAMP WITH TIME ZONE,
	PRIMARY KEY (poll_id),
	FOREIGN KEY(poll_id) REFERENCES poll (id)
);

CREATE TABLE question (
	id VARCHAR(64) NOT NULL,
	board_id VARCHAR(64) NOT NULL,
	text VARCHAR NOT NULL,
	author_name VARCHAR(256),
	status VARCHAR(16) NOT NULL,
	merged_into VARCHAR(64),
	asked_at TIMESTAMP WITH TIME ZONE NOT NULL,
	answered_at TIMESTAMP WITH TIME ZONE,
	PRIMARY KEY (id),
	FOREIGN KEY(board_id) REFERENCES qna_board (id)
);

CREATE INDEX ix_question_board_id ON question (board_id);

CREATE TABLE report_link (
	token_hash VARCHAR(64) NOT NULL,
	meeting_id VARCHAR(64) NOT NULL,
	language VARCHAR(8) NOT NULL,
	expires_at TIMESTAMP WITH TIME ZONE NOT NULL,
	PRIMARY KEY (token_hash),
	FOREIGN KEY(meeting_id) REFERENCES meeting (id)
);

CREATE INDEX ix_report_link_meeting_id ON report_link (meeting_id);

CREATE TABLE upvote (
	question_id VARCHAR(64) NOT NULL,
	voter_key VARCHAR(64) NOT NULL,
	PRIMARY KEY (question_id, voter_key),
	FOREIGN KEY(question_id) REFERENCES question (id)
);
