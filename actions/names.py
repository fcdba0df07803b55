"""Action names, exactly as listed in `domain.yml` (a test checks the two agree)."""

ACTION_GREET = "action_greet"
ACTION_ANSWER_TOPIC = "action_answer_topic"
ACTION_OUT_OF_SCOPE = "action_out_of_scope"
ACTION_NOT_UNDERSTOOD = "action_not_understood"
