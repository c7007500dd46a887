-- One database per member (docker/compose.yaml): each gateway's XGW_STORAGE_DSN names its
-- own. The postgres image runs this once, on the first start with an empty data volume,
-- as POSTGRES_USER (xgw), who owns them.
CREATE DATABASE xgw_de OWNER xgw;
CREATE DATABASE xgw_ee OWNER xgw;
CREATE DATABASE xgw_nl OWNER xgw;
