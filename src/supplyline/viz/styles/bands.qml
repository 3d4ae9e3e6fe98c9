<!DOCTYPE qgis PUBLIC 'http://mrcc.com/qgis.dtd' 'SYSTEM'>
<qgis version="3.28.0-Firenze" styleCategories="Symbology|Temporal">
 <renderer-v2 type="categorizedSymbol" attr="band" symbollevels="0" enableorderby="0" forceraster="0">
  <categories>
   <category render="true" symbol="0" value="held" label="held" />
   <category render="true" symbol="1" value="contact" label="contact" />
   <category render="true" symbol="2" value="fpv" label="fpv" />
   <category render="true" symbol="3" value="tube" label="tube" />
   <category render="true" symbol="4" value="rocket" label="rocket" />
   <category render="true" symbol="5" value="beyond" label="beyond" />
  </categories>
  <symbols>
   <symbol type="line" name="0" alpha="1" clip_to_extent="1" force_rhr="0">
    <layer class="SimpleLine" enabled="1" pass="0" locked="0">
     <Option type="Map">
      <Option name="line_color" type="QString" value="43,27,23,255" />
      <Option name="line_width" type="QString" value="0.99" />
      <Option name="line_width_unit" type="QString" value="MM" />
      <Option name="line_style" type="QString" value="solid" />
      <Option name="capstyle" type="QString" value="round" />
      <Option name="joinstyle" type="QString" value="round" />
      <Option name="use_custom_dash" type="QString" value="0" />
      <Option name="customdash" type="QString" value="5;2" />
      <Option name="customdash_unit" type="QString" value="MM" />
      <Option name="offset" type="QString" value="0" />
      <Option name="offset_unit" type="QString" value="MM" />
     </Option>
     <prop k="line_color" v="43,27,23,255" />
     <prop k="line_width" v="0.99" />
     <prop k="line_width_unit" v="MM" />
     <prop k="line_style" v="solid" />
     <prop k="capstyle" v="round" />
     <prop k="joinstyle" v="round" />
     <prop k="use_custom_dash" v="0" />
     <prop k="customdash" v="5;2" />
     <prop k="customdash_unit" v="MM" />
     <prop k="offset" v="0" />
     <prop k="offset_unit" v="MM" />
    </layer>
   </symbol>
   <symbol type="line" name="1" alpha="1" clip_to_extent="1" force_rhr="0">
    <layer class="SimpleLine" enabled="1" pass="0" locked="0">
     <Option type="Map">
      <Option name="line_color" type="QString" value="122,1,119,255" />
      <Option name="line_width" type="QString" value="0.66" />
      <Option name="line_width_unit" type="QString" value="MM" />
      <Option name="line_style" type="QString" value="solid" />
      <Option name="capstyle" type="QString" value="round" />
      <Option name="joinstyle" type="QString" value="round" />
      <Option name="use_custom_dash" type="QString" value="1" />
      <Option name="customdash" type="QString" value="0.66;0.792" />
      <Option name="customdash_unit" type="QString" value="MM" />
      <Option name="offset" type="QString" value="0" />
      <Option name="offset_unit" type="QString" value="MM" />
     </Option>
     <prop k="line_color" v="122,1,119,255" />
     <prop k="line_width" v="0.66" />
     <prop k="line_width_unit" v="MM" />
     <prop k="line_style" v="solid" />
     <prop k="capstyle" v="round" />
     <prop k="joinstyle" v="round" />
     <prop k="use_custom_dash" v="1" />
     <prop k="customdash" v="0.66;0.792" />
     <prop k="customdash_unit" v="MM" />
     <prop k="offset" v="0" />
     <prop k="offset_unit" v="MM" />
    </layer>
   </symbol>
   <symbol type="line" name="2" alpha="1" clip_to_extent="1" force_rhr="0">
    <layer class="SimpleLine" enabled="1" pass="0" locked="0">
     <Option type="Map">
      <Option name="line_color" type="QString" value="194,24,91,255" />
      <Option name="line_width" type="QString" value="0.66" />
      <Option name="line_width_unit" type="QString" value="MM" />
      <Option name="line_style" type="QString" value="solid" />
      <Option name="capstyle" type="QString" value="round" />
      <Option name="joinstyle" type="QString" value="round" />
      <Option name="use_custom_dash" type="QString" value="1" />
      <Option name="customdash" type="QString" value="1.98;0.99" />
      <Option name="customdash_unit" type="QString" value="MM" />
      <Option name="offset" type="QString" value="0" />
      <Option name="offset_unit" type="QString" value="MM" />
     </Option>
     <prop k="line_color" v="194,24,91,255" />
     <prop k="line_width" v="0.66" />
     <prop k="line_width_unit" v="MM" />
     <prop k="line_style" v="solid" />
     <prop k="capstyle" v="round" />
     <prop k="joinstyle" v="round" />
     <prop k="use_custom_dash" v="1" />
     <prop k="customdash" v="1.98;0.99" />
     <prop k="customdash_unit" v="MM" />
     <prop k="offset" v="0" />
     <prop k="offset_unit" v="MM" />
    </layer>
   </symbol>
   <symbol type="line" name="3" alpha="1" clip_to_extent="1" force_rhr="0">
    <layer class="SimpleLine" enabled="1" pass="0" locked="0">
     <Option type="Map">
      <Option name="line_color" type="QString" value="239,108,0,255" />
      <Option name="line_width" type="QString" value="0.66" />
      <Option name="line_width_unit" type="QString" value="MM" />
      <Option name="line_style" type="QString" value="solid" />
      <Option name="capstyle" type="QString" value="round" />
      <Option name="joinstyle" type="QString" value="round" />
      <Option name="use_custom_dash" type="QString" value="1" />
      <Option name="customdash" type="QString" value="3.96;0.99" />
      <Option name="customdash_unit" type="QString" value="MM" />
      <Option name="offset" type="QString" value="0" />
      <Option name="offset_unit" type="QString" value="MM" />
     </Option>
     <prop k="line_color" v="239,108,0,255" />
     <prop k="line_width" v="0.66" />
     <prop k="line_width_unit" v="MM" />
     <prop k="line_style" v="solid" />
     <prop k="capstyle" v="round" />
     <prop k="joinstyle" v="round" />
     <prop k="use_custom_dash" v="1" />
     <prop k="customdash" v="3.96;0.99" />
     <prop k="customdash_unit" v="MM" />
     <prop k="offset" v="0" />
     <prop k="offset_unit" v="MM" />
    </layer>
   </symbol>
   <symbol type="line" name="4" alpha="1" clip_to_extent="1" force_rhr="0">
    <layer class="SimpleLine" enabled="1" pass="0" locked="0">
     <Option type="Map">
      <Option name="line_color" type="QString" value="238,204,102,255" />
      <Option name="line_width" type="QString" value="0.66" />
      <Option name="line_width_unit" type="QString" value="MM" />
      <Option name="line_style" type="QString" value="solid" />
      <Option name="capstyle" type="QString" value="round" />
      <Option name="joinstyle" type="QString" value="round" />
      <Option name="use_custom_dash" type="QString" value="1" />
      <Option name="customdash" type="QString" value="6.6;0.99;0.66;0.99" />
      <Option name="customdash_unit" type="QString" value="MM" />
      <Option name="offset" type="QString" value="0" />
      <Option name="offset_unit" type="QString" value="MM" />
     </Option>
     <prop k="line_color" v="238,204,102,255" />
     <prop k="line_width" v="0.66" />
     <prop k="line_width_unit" v="MM" />
     <prop k="line_style" v="solid" />
     <prop k="capstyle" v="round" />
     <prop k="joinstyle" v="round" />
     <prop k="use_custom_dash" v="1" />
     <prop k="customdash" v="6.6;0.99;0.66;0.99" />
     <prop k="customdash_unit" v="MM" />
     <prop k="offset" v="0" />
     <prop k="offset_unit" v="MM" />
    </layer>
   </symbol>
   <symbol type="line" name="5" alpha="1" clip_to_extent="1" force_rhr="0">
    <layer class="SimpleLine" enabled="1" pass="0" locked="0">
     <Option type="Map">
      <Option name="line_color" type="QString" value="91,146,196,255" />
      <Option name="line_width" type="QString" value="0.66" />
      <Option name="line_width_unit" type="QString" value="MM" />
      <Option name="line_style" type="QString" value="solid" />
      <Option name="capstyle" type="QString" value="round" />
      <Option name="joinstyle" type="QString" value="round" />
      <Option name="use_custom_dash" type="QString" value="0" />
      <Option name="customdash" type="QString" value="5;2" />
      <Option name="customdash_unit" type="QString" value="MM" />
      <Option name="offset" type="QString" value="0" />
      <Option name="offset_unit" type="QString" value="MM" />
     </Option>
     <prop k="line_color" v="91,146,196,255" />
     <prop k="line_width" v="0.66" />
     <prop k="line_width_unit" v="MM" />
     <prop k="line_style" v="solid" />
     <prop k="capstyle" v="round" />
     <prop k="joinstyle" v="round" />
     <prop k="use_custom_dash" v="0" />
     <prop k="customdash" v="5;2" />
     <prop k="customdash_unit" v="MM" />
     <prop k="offset" v="0" />
     <prop k="offset_unit" v="MM" />
    </layer>
   </symbol>
  </symbols>
 </renderer-v2>
 <temporal enabled="0" mode="0" startField="" endField="" durationField="" durationUnit="d" fixedDuration="1" accumulate="0" limitMode="0" startExpression="" endExpression="">
  <fixedRange>
   <start />
   <end />
  </fixedRange>
 </temporal>
</qgis>
